/**
 * PROTOCOL.md §4, the handshake: cipher suite and group registry, the COMMIT and
 * KEX bodies, and {@link Handshake}, the state that exists only while two clients
 * agree on keys — commit-then-reveal as in ZRTP (RFC 6189), finite-field DH in the
 * RFC 7919 / RFC 3526 groups beside CPace (draft-irtf-cfrg-cpace-21, ristretto255)
 * for the code or passphrase, CONFIRM as HMAC-SHA256 (RFC 2104): the initiator's
 * first, the responder's only once the initiator's verified. It ends by
 * handing the session its two {@link RecordState}s and the SAS, then is dropped
 * (as snow turns a finished `HandshakeState` into a `TransportState`). Group ids
 * reuse the IANA TLS NamedGroup code points for RFC 7919 groups (256–260) and the
 * IKEv2 Diffie-Hellman group numbers for RFC 3526 groups (14–18).
 * @module
 */
import { createDH, type DH, type DHGroup, groups } from '@arctalk/dh';
import { _equalBytes } from './_hash';
import { _abytes, _describe, _putU16, _putU32, _readU16 } from './_util';
import { type CPaceShare, cpaceFinish, cpaceLengths, cpaceStart } from './cpace';
import type { Role } from './envelope';
import { LocalProtocolError, RemoteProtocolError } from './errors';
import { _checkFrameCap, _readFrameCap, encodeFrame, FrameType } from './frame';
import { commitmentOf, deriveKeys, pakeInput, transcriptHash } from './keys';
import { maxDataLengthFor, RecordState } from './record';

/** Sizes of the client-to-client message fields, in bytes. */
export const messageLengths = Object.freeze({
  suite: 2,
  group: 2,
  /** SHA-256 commitment in COMMIT */
  commitment: 32,
  /** random nonce in KEX */
  nonce: 32,
  /** the CPace share (an encoded ristretto255 element) in KEX */
  cpaceShare: cpaceLengths.element,
  /** u32 frame cap in KEX: the longest frame its sender accepts (§4.2) */
  maxFrameLength: 4,
  /** HMAC-SHA256 in CONFIRM */
  confirm: 32,
});

/** Bytes of `u16 suite | u16 group`, the head of COMMIT and KEX. */
const HEAD = messageLengths.suite + messageLengths.group;

/** Default minimum group size accepted from the peer, in bits. */
export const DEFAULT_MIN_GROUP_BITS = 2048;
/** The group an initiator proposes by default. */
export const DEFAULT_GROUP = 'ffdhe2048';

/**
 * The one cipher suite of version 1: finite-field DH (RFC 7919 / RFC 3526 groups),
 * HKDF-SHA256 (RFC 5869), RC4-drop[3072] per direction, HMAC-SHA256 (RFC 2104)
 * truncated to 128 bits.
 */
export const SUITE_FFDH_RC4DROP3072_HMACSHA256 = 0x0001;

/** Every cipher suite this version implements. */
export const SUPPORTED_SUITES: readonly number[] = Object.freeze([SUITE_FFDH_RC4DROP3072_HMACSHA256]);

/** Wire ids of the Diffie-Hellman groups (u16). */
export const GroupId = Object.freeze({
  modp2048: 0x000e,
  modp3072: 0x000f,
  modp4096: 0x0010,
  modp6144: 0x0011,
  modp8192: 0x0012,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
} as const);

/** The name of a registered group, e.g. `'ffdhe2048'`. */
export type GroupName = keyof typeof GroupId;

/**
 * The group registered under a wire id.
 *
 * @param id - a u16 group id
 * @returns the group and its name, or undefined for an unknown id
 * @example
 * ```ts
 * groupById(0x0100)?.name; // 'ffdhe2048'
 * ```
 */
export function groupById(id: number): { name: GroupName; group: DHGroup } | undefined {
  for (const [name, value] of Object.entries(GroupId) as [GroupName, number][]) {
    if (value === id) return { name, group: groups[name] };
  }
  return undefined;
}

/**
 * The wire id of a group given by name or by value (matched on p and g).
 *
 * @param group - a registered group name or a DHGroup
 * @returns the id and the group, or undefined if it has no id
 * @example
 * ```ts
 * groupId('ffdhe3072')?.id; // 0x0101
 * ```
 */
export function groupId(
  group: DHGroup | string,
): { id: number; name: GroupName; group: DHGroup } | undefined {
  for (const [name, id] of Object.entries(GroupId) as [GroupName, number][]) {
    const g = groups[name];
    if (typeof group === 'string' ? group === name : group.p === g.p && group.g === g.g) {
      return { id, name, group: g };
    }
  }
  return undefined;
}

/**
 * `u16 suite | u16 group | fields…`, the layout COMMIT and KEX share, after checking
 * each argument in order (suite, group, then each field's length: `[name, value, min, max]`).
 */
function encodeHeadAnd(
  suite: unknown,
  group: unknown,
  fields: readonly (readonly [name: string, value: unknown, min: number, max: number])[],
): Uint8Array {
  for (const [name, value] of [
    ['suite', suite],
    ['group', group],
  ] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"${name}" expected integer 0..65535, got ${String(value)}`,
      );
    }
  }
  for (const [name, value, min, max] of fields) {
    _abytes(name, value);
    if (value.length < min || value.length > max) {
      const want = min === max ? `${min}` : `${min}..${max}`;
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"${name}" expected length ${want}, got ${value.length}`,
      );
    }
  }
  const parts = fields.map((f) => f[1] as Uint8Array);
  const out = new Uint8Array(HEAD + parts.reduce((n, p) => n + p.length, 0));
  _putU16(out, 0, suite as number);
  _putU16(out, 2, group as number);
  let at = HEAD;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** COMMIT: `u16 suite | u16 group | 32-byte commitment`. */
export interface Commit {
  suite: number;
  group: number;
  commitment: Uint8Array;
}

/**
 * Encodes a COMMIT body.
 *
 * @param commit - suite, group id and the 32-byte commitment
 * @returns the 36-byte body
 * @throws LocalProtocolError INVALID_ARGUMENT for a suite or group outside 0..65535 or a
 *   commitment that is not 32 bytes
 * @example
 * ```ts
 * encodeCommit({ suite: 1, group: GroupId.ffdhe2048, commitment });
 * ```
 */
export function encodeCommit(commit: Commit): Uint8Array {
  const n = messageLengths.commitment;
  return encodeHeadAnd(commit.suite, commit.group, [['commitment', commit.commitment, n, n]]);
}

/**
 * Decodes a COMMIT body.
 *
 * @param body - the frame body
 * @returns suite, group id, commitment (a view into `body`)
 * @throws RemoteProtocolError MALFORMED_FRAME unless the body is 36 bytes
 * @example
 * ```ts
 * const { suite, group } = decodeCommit(frame.body);
 * ```
 */
export function decodeCommit(body: Uint8Array): Commit {
  if (body.length !== HEAD + messageLengths.commitment) {
    throw new RemoteProtocolError(
      'MALFORMED_FRAME',
      `COMMIT body of ${body.length} bytes, expected ${HEAD + messageLengths.commitment}`,
    );
  }
  return { suite: _readU16(body, 0), group: _readU16(body, 2), commitment: body.subarray(HEAD) };
}

/**
 * KEX: `u16 suite | u16 group | 32-byte nonce | 32-byte CPace share | u32
 * maxFrameLength | public key (|p| bytes, big-endian)`.
 */
export interface Kex {
  suite: number;
  group: number;
  nonce: Uint8Array;
  /** Ya (initiator) or Yb (responder) of CPace, 32 bytes */
  cpaceShare: Uint8Array;
  /** the longest frame (`length` field) the sender of this KEX accepts, ≥ 2048 (§4.2) */
  maxFrameLength: number;
  publicKey: Uint8Array;
}

/**
 * Encodes a KEX body.
 *
 * @param kex - suite, group id, 32-byte nonce, 32-byte CPace share, frame cap
 *   (2048..2^32-1), public key (|p| bytes for its group)
 * @returns the body (72 + publicKey.length bytes)
 * @throws LocalProtocolError INVALID_ARGUMENT for a suite or group outside 0..65535, a nonce
 *   or CPace share that is not 32 bytes, a cap outside 2048..2^32-1 or an empty public key
 * @example
 * ```ts
 * encodeKex({ suite: 1, group: GroupId.ffdhe2048, nonce, cpaceShare, maxFrameLength: 65536, publicKey });
 * ```
 */
export function encodeKex(kex: Kex): Uint8Array {
  const { nonce, cpaceShare } = messageLengths;
  const cap = _checkFrameCap(kex.maxFrameLength);
  const capBytes = new Uint8Array(messageLengths.maxFrameLength);
  _putU32(capBytes, 0, cap);
  return encodeHeadAnd(kex.suite, kex.group, [
    ['nonce', kex.nonce, nonce, nonce],
    ['cpaceShare', kex.cpaceShare, cpaceShare, cpaceShare],
    ['maxFrameLength', capBytes, 4, 4],
    ['publicKey', kex.publicKey, 1, Number.MAX_SAFE_INTEGER],
  ]);
}

/** Where the frame cap starts in a KEX body. */
const CAP_AT = HEAD + messageLengths.nonce + messageLengths.cpaceShare;
/** Bytes of a KEX body before the public key. */
const KEX_FIXED = CAP_AT + messageLengths.maxFrameLength;

/**
 * Decodes a KEX body. The public key's length is checked by the caller against
 * the group (it must be exactly |p| bytes).
 *
 * @param body - the frame body
 * @returns suite, group id, nonce, CPace share, frame cap and public key (views into `body`)
 * @throws RemoteProtocolError MALFORMED_FRAME if the body has no room for a public key or
 *   its frame cap is below 2048
 * @example
 * ```ts
 * const { publicKey } = decodeKex(frame.body);
 * ```
 */
export function decodeKex(body: Uint8Array): Kex {
  // 72 bytes or fewer (including fewer than 4, with no room for suite and group)
  if (body.length <= KEX_FIXED) {
    throw new RemoteProtocolError('MALFORMED_FRAME', `KEX body of ${body.length} bytes is too short`);
  }
  const maxFrameLength = _readFrameCap('KEX', body, CAP_AT);
  return {
    suite: _readU16(body, 0),
    group: _readU16(body, 2),
    nonce: body.subarray(HEAD, HEAD + messageLengths.nonce),
    cpaceShare: body.subarray(HEAD + messageLengths.nonce, CAP_AT),
    maxFrameLength,
    publicKey: body.subarray(KEX_FIXED),
  };
}

const FFDHE_GROUPS = ['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const;

/**
 * The group a session proposes when none is given: the smallest RFC 7919 group of at
 * least `minGroupBits` ({@link DEFAULT_GROUP} under the default policy), so that a
 * side never proposes a group its own policy would refuse.
 *
 * @param minGroupBits - the session's minimum group size, in bits
 * @returns a group name; `'ffdhe8192'` when no group is large enough (the
 *   constructor then refuses it against the policy)
 * @example
 * ```ts
 * defaultGroupFor(2048); // 'ffdhe2048'
 * defaultGroupFor(3000); // 'ffdhe3072'
 * ```
 */
export function defaultGroupFor(minGroupBits: number): GroupName {
  return FFDHE_GROUPS.find((name) => groups[name].bits >= minGroupBits) ?? 'ffdhe8192';
}

/**
 * A session's group policy (§4.1) from its options: the minimum size it accepts
 * from the peer and the group it proposes as initiator, which must meet that minimum.
 *
 * @param group - a registered group name or DHGroup; default {@link defaultGroupFor}(minGroupBits)
 * @param minGroupBits - a positive integer; default {@link DEFAULT_MIN_GROUP_BITS}
 * @returns the proposed group with its wire id, and the minimum
 * @throws LocalProtocolError INVALID_ARGUMENT for a minimum that is not a positive integer, a
 *   group with no wire id, or a group below the minimum
 * @example
 * ```ts
 * groupPolicy(undefined, 3072).group.id; // 0x0101 (ffdhe3072)
 * ```
 */
export function groupPolicy(
  group?: DHGroup | string,
  minGroupBits: number = DEFAULT_MIN_GROUP_BITS,
): { group: { id: number; name: GroupName; group: DHGroup }; minGroupBits: number } {
  if (!Number.isInteger(minGroupBits) || minGroupBits < 1) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"minGroupBits" expected a positive integer, got ${String(minGroupBits)}`,
    );
  }
  const found = groupId(group ?? defaultGroupFor(minGroupBits));
  if (found === undefined) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"group" expected a registered group (ffdhe2048..8192, modp2048..8192), got ${
        typeof group === 'string' ? group : _describe(group)
      }`,
    );
  }
  if (found.group.bits < minGroupBits) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"group" ${found.name} has ${found.group.bits} bits, below "minGroupBits" ${minGroupBits}`,
    );
  }
  return { group: found, minGroupBits };
}

// ---------------------------------------------------------------------------
// The handshake state.

/** What a {@link Handshake} needs to know, fixed when the pair is formed. */
export interface HandshakeConfig {
  readonly role: Role;
  /** the room as sent in HELLO */
  readonly room: string;
  readonly name: string;
  readonly peerName: string;
  /** the group this side proposes (used only as initiator) */
  readonly group: { readonly id: number; readonly group: DHGroup };
  /** refuse a proposed group below this many bits */
  readonly minGroupBits: number;
  /** the code or passphrase bytes (CPace's PRS), zeroed once the keys are derived */
  readonly passphrase: Uint8Array | undefined;
  readonly randomBytes: (length: number) => Uint8Array;
  /** this side's sending budget (bytes, at most {@link DEFAULT_BYTE_BUDGET}) */
  readonly sendBudget: number;
  /** the longest frame this side accepts (its decoder's cap), announced in its KEX */
  readonly maxFrameLength: number;
  /** the longest frame the relay accepts from this side, from WAITING/PAIRED (§3.2, §3.3) */
  readonly relayMaxFrameLength: number;
}

/** What a finished handshake hands over. */
export interface Secured {
  /** the SAS, three PGP words joined by spaces */
  readonly sas: string;
  readonly sasWords: readonly string[];
  /** this side's sending direction */
  readonly send: RecordState;
  /** the peer's direction */
  readonly receive: RecordState;
}

interface OwnKex {
  readonly dh: DH;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** this side's CPace scalar and share */
  readonly cpace: CPaceShare;
  readonly body: Uint8Array;
}

/** The handshake's own steps; each holds only what that step needs. */
type Step =
  /** responder: waiting for COMMIT */
  | { readonly at: 'awaiting-commit' }
  /**
   * waiting for the peer's KEX: the initiator has sent COMMIT (`commitment` undefined),
   * the responder KEX_r (`commitment`: the initiator's, to check KEX_i against)
   */
  | {
      readonly at: 'committed';
      readonly own: OwnKex;
      readonly commitBody: Uint8Array;
      readonly commitment: Uint8Array | undefined;
      readonly suite: number;
      readonly group: number;
    }
  /**
   * both: waiting for the peer's CONFIRM. The initiator has sent its own; the
   * responder holds its own (`reply`) until the initiator's verified, so that a
   * party without the code or passphrase gets nothing from it to check a guess with.
   */
  | {
      readonly at: 'confirming';
      readonly expected: Uint8Array;
      readonly reply: Uint8Array | undefined;
      readonly secured: Secured;
    }
  | { readonly at: 'done' };

// Messages name only what applies: a session without a code or passphrase never
// blames one (a failed CONFIRM there is someone in the middle, or a broken peer).
const CONFIRM_FAILED =
  'key confirmation failed: wrong code or passphrase, or someone in the middle of the key exchange';
const CONFIRM_FAILED_NO_SECRET =
  'key confirmation failed: someone in the middle of the key exchange (or a broken peer)';

const LEFT_DURING_CONFIRMATION =
  'wrong code or passphrase: the peer left or stopped answering during key confirmation, after our CONFIRM (a guess was tried, or the connection dropped)';
const LEFT_DURING_CONFIRMATION_NO_SECRET =
  'key confirmation failed: the peer left after our CONFIRM, or stopped answering (someone in the middle, or the connection dropped)';

/**
 * One side of the §4 handshake. Created when the pair is formed; every method
 * takes a received body and returns the whole frames to send; {@link Handshake.onConfirm}
 * returns the {@link Secured} result. Faults of the peer throw {@link RemoteProtocolError}.
 *
 * @example
 * ```ts
 * const { handshake, frames } = Handshake.begin(config); // initiator: [COMMIT]
 * ```
 */
export class Handshake {
  readonly #config: HandshakeConfig;
  #step: Step;

  private constructor(config: HandshakeConfig, step: Step) {
    this.#config = config;
    this.#step = step;
  }

  /**
   * Starts the handshake when PAIRED arrives.
   *
   * @param config - role, names, room, group policy, passphrase, randomness
   * @returns the handshake and what to send now (the initiator's COMMIT; nothing for a responder)
   * @throws LocalProtocolError INVALID_ARGUMENT when the injected randomness is unusable
   */
  static begin(config: HandshakeConfig): { handshake: Handshake; frames: Uint8Array[] } {
    if (config.role === 'responder') {
      return { handshake: new Handshake(config, { at: 'awaiting-commit' }), frames: [] };
    }
    const own = makeKex(config.group, config.randomBytes, pakeOf(config), config.maxFrameLength);
    const commitBody = encodeCommit({
      suite: SUITE_FFDH_RC4DROP3072_HMACSHA256,
      group: config.group.id,
      commitment: commitmentOf(own.body),
    });
    const step: Step = {
      at: 'committed',
      own,
      commitBody,
      commitment: undefined,
      suite: SUITE_FFDH_RC4DROP3072_HMACSHA256,
      group: config.group.id,
    };
    return {
      handshake: new Handshake(config, step),
      frames: [encodeFrame({ type: FrameType.COMMIT, body: commitBody })],
    };
  }

  /**
   * Responder: checks COMMIT (§4.1, in order: length, suite, group, group size) and answers KEX_r.
   *
   * @param body - the COMMIT body
   * @returns [KEX_r]
   */
  onCommit(body: Uint8Array): Uint8Array[] {
    this.#expect('awaiting-commit');
    const commit = decodeCommit(body);
    if (!SUPPORTED_SUITES.includes(commit.suite)) {
      throw new RemoteProtocolError('UNSUPPORTED_SUITE', `unsupported cipher suite 0x${hex16(commit.suite)}`);
    }
    const known = groupById(commit.group);
    if (known === undefined) {
      throw new RemoteProtocolError('UNKNOWN_GROUP', `unknown group id 0x${hex16(commit.group)}`);
    }
    if (known.group.bits < this.#config.minGroupBits) {
      throw new RemoteProtocolError(
        'GROUP_TOO_SMALL',
        `the peer proposed ${known.name} (${known.group.bits} bits), below the minimum ${this.#config.minGroupBits}`,
      );
    }
    const commitBody = body.slice();
    const own = makeKex(
      { id: commit.group, group: known.group },
      this.#config.randomBytes,
      pakeOf(this.#config),
      this.#config.maxFrameLength,
    );
    this.#step = {
      at: 'committed',
      own,
      commitBody,
      commitment: commitBody.subarray(HEAD),
      suite: commit.suite,
      group: commit.group,
    };
    return [encodeFrame({ type: FrameType.KEX, body: own.body })];
  }

  /**
   * Checks the peer's KEX (§4.2). The responder checks KEX_i against the commitment
   * FIRST (COMMITMENT_MISMATCH, whatever else is wrong with it); then both check, in
   * order: length, suite/group (PARAMETER_MISMATCH), key length, reflection, validity.
   * The keys are then derived; the initiator reveals KEX_i and sends CONFIRM_i, the
   * responder holds CONFIRM_r until CONFIRM_i has verified.
   *
   * @param body - the peer's KEX body
   * @returns [KEX_i, CONFIRM_i] for the initiator; nothing yet for the responder
   */
  onKex(body: Uint8Array): Uint8Array[] {
    const step = this.#expect('committed');
    const initiator = this.#config.role === 'initiator';
    const peer = initiator ? 'responder' : 'initiator';
    if (step.commitment !== undefined && !_equalBytes(commitmentOf(body), step.commitment)) {
      throw new RemoteProtocolError('COMMITMENT_MISMATCH', 'the initiator KEX does not match its commitment');
    }
    const kex = decodeKex(body);
    if (kex.suite !== step.suite || kex.group !== step.group) {
      throw new RemoteProtocolError('PARAMETER_MISMATCH', `the ${peer} KEX names another suite or group`);
    }
    const own = step.own;
    const peerBody = body.slice();
    const shared = sharedSecret(own, kex.publicKey);
    const [kexI, kexR] = initiator ? [own.body, peerBody] : [peerBody, own.body];
    const [shareI, shareR] = initiator
      ? [own.cpace.share, kex.cpaceShare]
      : [kex.cpaceShare, own.cpace.share];
    const isk = this.#isk(own, shareI, shareR);
    const confirm = this.#derive(shared, isk, step.commitBody, kexR, kexI, kex.maxFrameLength);
    return initiator ? [encodeFrame({ type: FrameType.KEX, body: own.body }), confirm] : [];
  }

  /**
   * Both: verifies the peer's CONFIRM (constant time; any other length fails too).
   * The responder then sends its own CONFIRM_r.
   *
   * @param body - the peer's CONFIRM body
   * @returns the SAS and the two record states (the handshake is then done), and
   *   what to send: [CONFIRM_r] for the responder, nothing for the initiator
   * @throws RemoteProtocolError AUTH_FAILED
   */
  onConfirm(body: Uint8Array): { secured: Secured; frames: Uint8Array[] } {
    const step = this.#expect('confirming');
    if (!_equalBytes(body, step.expected))
      throw new RemoteProtocolError(
        'AUTH_FAILED',
        this.#config.passphrase === undefined ? CONFIRM_FAILED_NO_SECRET : CONFIRM_FAILED,
      );
    this.#step = { at: 'done' };
    const frames = step.reply ? [encodeFrame({ type: FrameType.CONFIRM, body: step.reply })] : [];
    return { secured: step.secured, frames };
  }

  /**
   * What the peer's departure means now (PROTOCOL.md §4.4). Once the initiator has
   * sent CONFIRM_i, a responder whose check failed hangs up without answering: so
   * leaving before CONFIRM_r is a failed key confirmation, never a mere departure.
   * With a code or passphrase it is also a used guess (the peer held everything it
   * needed to check one), reported as "wrong code or passphrase". Before CONFIRM_i
   * (nothing sent that could test a guess), undefined: an ordinary departure.
   *
   * @returns the AUTH_FAILED error to report, or undefined
   */
  departureError(): RemoteProtocolError | undefined {
    const step = this.#step;
    if (step.at === 'confirming' && step.reply === undefined) {
      const secret = this.#config.passphrase !== undefined;
      return new RemoteProtocolError(
        'AUTH_FAILED',
        secret ? LEFT_DURING_CONFIRMATION : LEFT_DURING_CONFIRMATION_NO_SECRET,
      );
    }
    return undefined;
  }

  /** Zeroes what the handshake still holds (secret exponent, derived record keys). */
  wipe(): void {
    const step = this.#step;
    if (step.at === 'committed') {
      step.own.secretKey.fill(0);
      step.own.cpace.secret.fill(0);
    }
    if (step.at === 'confirming') {
      step.reply?.fill(0);
      step.secured.send.wipe();
      step.secured.receive.wipe();
    }
    this.#config.passphrase?.fill(0);
    this.#step = { at: 'done' };
  }

  #expect<A extends Step['at']>(at: A): Extract<Step, { at: A }> {
    const step = this.#step;
    // The session's transition table only calls the method of the current step:
    // anything else is a bug here, reported as INTERNAL by the session.
    if (step.at !== at) throw new Error(`handshake at ${step.at}, expected ${at}`);
    return step as Extract<Step, { at: A }>;
  }

  /** §5.4: the CPace ISK from our scalar and both shares (Ya first), then the scalar is zeroed. */
  #isk(own: OwnKex, initiatorShare: Uint8Array, responderShare: Uint8Array): Uint8Array {
    const empty = new Uint8Array(0);
    try {
      return cpaceFinish(
        empty,
        own.cpace.secret,
        { share: initiatorShare, ad: empty },
        { share: responderShare, ad: empty },
        this.#config.role === 'initiator',
      );
    } finally {
      own.cpace.secret.fill(0);
    }
  }

  /**
   * §5: the transcript hash, the key schedule, the two records. Returns our CONFIRM
   * frame; the responder's is held until the initiator's verified.
   */
  #derive(
    shared: Uint8Array,
    isk: Uint8Array,
    commitBody: Uint8Array,
    responderKexBody: Uint8Array,
    initiatorKexBody: Uint8Array,
    peerMaxFrameLength: number,
  ): Uint8Array {
    const c = this.#config;
    const initiator = c.role === 'initiator';
    const th = transcriptHash({
      room: c.room,
      initiatorName: initiator ? c.name : c.peerName,
      responderName: initiator ? c.peerName : c.name,
      commitBody,
      responderKexBody,
      initiatorKexBody,
    });
    const keys = deriveKeys(shared, th, isk);
    shared.fill(0);
    isk.fill(0);
    c.passphrase?.fill(0); // a session derives keys once: the passphrase is done with
    const out = initiator ? keys.i2r : keys.r2i;
    const inn = initiator ? keys.r2i : keys.i2r;
    // The records take the keys over (and zero them); the handshake keeps only the
    // SAS and the two CONFIRM bodies, not the keys themselves.
    const secured: Secured = {
      sas: keys.sas,
      sasWords: keys.sasWords,
      // DATA sized to the path (§6.1): the smaller of the relay's cap (PAIRED) and the
      // peer's (its KEX, authenticated by the transcript hash).
      send: new RecordState(out, {
        budget: c.sendBudget,
        maxDataLength: maxDataLengthFor(Math.min(c.relayMaxFrameLength, peerMaxFrameLength)),
      }),
      receive: new RecordState(inn),
    };
    keys.initiatorConfirmKey.fill(0);
    keys.responderConfirmKey.fill(0);
    const expected = initiator ? keys.responderConfirm : keys.initiatorConfirm;
    const reply = initiator ? undefined : keys.responderConfirm;
    this.#step = { at: 'confirming', expected, reply, secured };
    return encodeFrame({ type: FrameType.CONFIRM, body: keys.initiatorConfirm });
  }
}

/** §5.4: this session's CPace inputs (PRS, CI, sid), the names in initiator-responder order. */
function pakeOf(c: HandshakeConfig) {
  const initiator = c.role === 'initiator';
  return pakeInput(c.passphrase, c.room, initiator ? c.name : c.peerName, initiator ? c.peerName : c.name);
}

/**
 * Our KEX: the nonce, then the CPace scalar, then the DH secret exponent, drawn in
 * that order from `randomBytes` (the recorded vectors depend on the order).
 */
function makeKex(
  group: { id: number; group: DHGroup },
  randomBytes: (length: number) => Uint8Array,
  pake: ReturnType<typeof pakeInput>,
  maxFrameLength: number,
): OwnKex {
  const nonce = randomBytes(messageLengths.nonce);
  if (!(nonce instanceof Uint8Array) || nonce.length !== messageLengths.nonce) {
    throw new LocalProtocolError('INVALID_ARGUMENT', '"randomBytes" returned the wrong length');
  }
  let cpace: CPaceShare;
  try {
    cpace = cpaceStart(pake, randomBytes);
  } catch (e) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"randomBytes" gave unusable bytes: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  const dh = createDH(group.group, { randomBytes });
  let pair: { secretKey: Uint8Array; publicKey: Uint8Array };
  try {
    pair = dh.keygen();
  } catch (e) {
    // Only the injected randomness can make keygen fail: a local fault, not tampering.
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"randomBytes" gave unusable bytes: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  const { secretKey, publicKey } = pair;
  const body = encodeKex({
    suite: SUITE_FFDH_RC4DROP3072_HMACSHA256,
    group: group.id,
    nonce,
    cpaceShare: cpace.share,
    maxFrameLength,
    publicKey,
  });
  return { dh, secretKey, publicKey, cpace, body };
}

/**
 * §4.2's checks on the peer's public key, in order: exactly |p| bytes
 * (MALFORMED_FRAME), not our own key (INVALID_PUBLIC_KEY: reflection), then
 * 1 < Y < p − 1 and Y^q = 1 (INVALID_PUBLIC_KEY). Our secret exponent is zeroed
 * whatever happens.
 */
function sharedSecret(own: OwnKex, peerPublicKey: Uint8Array): Uint8Array {
  try {
    if (peerPublicKey.length !== own.dh.lengths.publicKey) {
      throw new RemoteProtocolError(
        'MALFORMED_FRAME',
        `KEX public key of ${peerPublicKey.length} bytes, expected ${own.dh.lengths.publicKey}`,
      );
    }
    if (_equalBytes(peerPublicKey, own.publicKey)) {
      throw new RemoteProtocolError('INVALID_PUBLIC_KEY', 'the peer public key equals ours (reflection)');
    }
    try {
      return own.dh.getSharedSecret(own.secretKey, peerPublicKey);
    } catch {
      throw new RemoteProtocolError('INVALID_PUBLIC_KEY', 'the peer public key failed validation');
    }
  } finally {
    own.secretKey.fill(0);
  }
}

function hex16(n: number): string {
  return n.toString(16).padStart(4, '0');
}
