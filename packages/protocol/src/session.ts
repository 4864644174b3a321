/**
 * One end of an arctalk conversation, sans-IO (in the manner of h11 and snow):
 * bytes in → events out; calls → bytes queued, taken with `takeOutput()` (as
 * quinn-proto's `poll_transmit` and rustls's `write_tls`). Every transition is a
 * row of {@link TRANSITIONS}. Handshake, key schedule and record layer:
 * PROTOCOL.md §4–§7 (HKDF RFC 5869, HMAC RFC 2104, RC4-drop[n] as in RFC 4345's
 * arcfour128/256 discard, finite-field groups RFC 7919 / RFC 3526).
 * @module
 */
import { createDH, type DH, type DHGroup } from '@arctalk/dh';
import { createRC4, type RC4Stream } from '@arctalk/rc4';
import { hmac } from '@noble/hashes/hmac';
import { sha256 } from '@noble/hashes/sha2';
import { concatBytes } from '@noble/hashes/utils';
import { _checkMaxFrameLength, _describe, _putU64, _writeHeader } from './_util';
import {
  LocalProtocolError,
  type ProtocolError,
  type ProtocolErrorCode,
  RemoteProtocolError,
} from './errors';
import {
  DEFAULT_ROOM,
  decodeEmpty,
  decodeError,
  decodePaired,
  decodePing,
  encodeFrame,
  encodeHello,
  errorCodeName,
  FrameDecoder,
  FrameType,
  type FrameTypeName,
  frameTypeName,
  isKnownFrameType,
  type Role,
  validateName,
  validateRoom,
} from './frame';
import {
  commitmentOf,
  deriveKeys,
  equalBytes,
  type KeySchedule,
  passphraseBytes,
  transcriptHash,
} from './keys';
import {
  decodeCommit,
  decodeData,
  decodeEnd,
  decodeKex,
  encodeCommit,
  encodeKex,
  type GroupName,
  groupById,
  groupId,
  messageLengths,
  SUITE_FFDH_RC4DROP3072_HMACSHA256,
  SUPPORTED_SUITES,
} from './messages';

/** RC4 keystream bytes discarded before use, per direction (RC4-drop[3072]). */
export const RC4_DROP = 3072;
/** Default per-direction budget of plaintext bytes: 2^30. */
export const DEFAULT_BYTE_BUDGET = 2 ** 30;
/** Default minimum group size accepted from the peer, in bits. */
export const DEFAULT_MIN_GROUP_BITS = 2048;
/** The group an initiator proposes by default. */
export const DEFAULT_GROUP = 'ffdhe2048';

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
  return FFDHE_GROUPS.find((name) => groupId(name)!.group.bits >= minGroupBits) ?? 'ffdhe8192';
}

/** Options of {@link ClientSession}. Only `name` is required. */
export interface SessionOptions {
  /** the room to join, put in NFC; default {@link DEFAULT_ROOM}; an empty string means the default */
  room?: string;
  /** display name, 1..32 bytes of UTF-8 once put in NFC, no control characters */
  name: string;
  /**
   * the group this side proposes when it is the initiator; default 'ffdhe2048', or
   * the smallest ffdhe group of at least `minGroupBits`
   */
  group?: DHGroup | string;
  /** refuse a group smaller than this from the peer; default 2048 */
  minGroupBits?: number;
  /**
   * optional pre-shared passphrase mixed into the key schedule: a string is put in
   * NFC, then UTF-8 encoded; bytes are used as given (an application that reads text
   * from a file or the environment should decode it strictly and pass the string)
   */
  passphrase?: Uint8Array | string;
  /** randomness source; default `crypto.getRandomValues` (inject for reproducible sessions) */
  randomBytes?: (length: number) => Uint8Array;
  /** cap on a frame's length field, both ways; default 65536 */
  maxFrameLength?: number;
  /** per-direction budget of plaintext bytes; default 2^30 */
  byteBudget?: number;
}

/** What {@link ClientSession.receive} reports. */
export type SessionEvent =
  | { type: 'waiting' }
  | { type: 'paired'; role: Role; peerName: string }
  | { type: 'secured'; sas: string; sasWords: readonly string[] }
  | { type: 'text'; data: Uint8Array }
  | { type: 'peer-ended' }
  | { type: 'peer-left'; ended: boolean }
  | { type: 'pong' }
  /** both ENDs have crossed, the peer's last (after our own `end()`, read `state`) */
  | { type: 'closed' }
  | { type: 'error'; error: ProtocolError };

/** The states of a session; see {@link TRANSITIONS}. */
export type SessionState =
  | 'idle'
  | 'hello-sent'
  | 'waiting'
  | 'committing'
  | 'exchanging'
  | 'confirming'
  | 'secured'
  | 'closed'
  | 'failed';

/** Inputs of the state machine: the caller's calls, the end of the transport, and received frame types. */
export type SessionInput = 'start' | 'send' | 'end' | 'ping' | 'eof' | FrameTypeName;

/** The flags a transition's guard or target may read. */
export interface SessionFlags {
  readonly role: Role | undefined;
  readonly ended: boolean;
  readonly peerEnded: boolean;
  readonly peerLeft: boolean;
}

/** The handler a transition runs (a private method of ClientSession). */
export type SessionAction =
  | 'sendHello'
  | 'sendPing'
  | 'sendData'
  | 'sendEnd'
  | 'onWaiting'
  | 'onPaired'
  | 'onPing'
  | 'onPong'
  | 'onRelayError'
  | 'onPeerLeft'
  | 'onCommit'
  | 'onResponderKex'
  | 'onInitiatorKex'
  | 'onConfirm'
  | 'onData'
  | 'onEnd'
  | 'onConnectionLost'
  | 'none';

/** One row of the transition table. */
export interface Transition {
  /** the input */
  readonly on: SessionInput;
  /** the states it applies in */
  readonly from: readonly SessionState[];
  /** only for this role */
  readonly role?: Role;
  /** extra condition on the flags */
  readonly when?: (flags: SessionFlags) => boolean;
  /** the next state: fixed, computed from the flags after the action, or unchanged */
  readonly to: SessionState | 'same' | ((flags: SessionFlags) => SessionState);
  /** what happens */
  readonly run: SessionAction;
}

const STARTED: readonly SessionState[] = [
  'hello-sent',
  'waiting',
  'committing',
  'exchanging',
  'confirming',
  'secured',
  'closed',
];
const PAIRED: readonly SessionState[] = ['committing', 'exchanging', 'confirming', 'secured'];

/**
 * Every transition of a session, in one table (as h11's `_state.py`). An input
 * with no matching row is refused: a received frame with UNEXPECTED_FRAME (the
 * session fails), a call with a {@link LocalProtocolError} (nothing changes).
 * Handlers that detect a fault throw {@link RemoteProtocolError}, which moves the
 * session to 'failed' whatever the row says.
 */
export const TRANSITIONS: readonly Transition[] = Object.freeze(
  (
    [
      // the caller
      { on: 'start', from: ['idle'], to: 'hello-sent', run: 'sendHello' },
      { on: 'ping', from: STARTED, to: 'same', run: 'sendPing' },
      { on: 'send', from: ['secured'], when: (f) => !f.ended, to: 'same', run: 'sendData' },
      {
        on: 'end',
        from: ['secured'],
        when: (f) => !f.ended,
        to: (f) => (f.peerEnded ? 'closed' : 'secured'),
        run: 'sendEnd',
      },
      // the transport
      { on: 'eof', from: ['idle', 'closed'], to: 'same', run: 'none' },
      { on: 'eof', from: STARTED.filter((s) => s !== 'closed'), to: 'failed', run: 'onConnectionLost' },
      // the relay
      { on: 'WAITING', from: ['hello-sent'], to: 'waiting', run: 'onWaiting' },
      { on: 'PAIRED', from: ['hello-sent', 'waiting'], to: 'committing', run: 'onPaired' },
      { on: 'PING', from: STARTED, to: 'same', run: 'onPing' },
      { on: 'PONG', from: STARTED, to: 'same', run: 'onPong' },
      { on: 'ERROR', from: STARTED, to: 'failed', run: 'onRelayError' },
      { on: 'PEER_LEFT', from: PAIRED, to: 'closed', run: 'onPeerLeft' },
      { on: 'PEER_LEFT', from: ['closed'], when: (f) => !f.peerLeft, to: 'closed', run: 'onPeerLeft' },
      // the peer: handshake
      { on: 'COMMIT', from: ['committing'], role: 'responder', to: 'exchanging', run: 'onCommit' },
      { on: 'KEX', from: ['committing'], role: 'initiator', to: 'confirming', run: 'onResponderKex' },
      { on: 'KEX', from: ['exchanging'], role: 'responder', to: 'confirming', run: 'onInitiatorKex' },
      { on: 'CONFIRM', from: ['confirming'], to: 'secured', run: 'onConfirm' },
      // the peer: conversation
      { on: 'DATA', from: ['secured'], when: (f) => !f.peerEnded, to: 'same', run: 'onData' },
      {
        on: 'END',
        from: ['secured'],
        when: (f) => !f.peerEnded,
        to: (f) => (f.ended ? 'closed' : 'secured'),
        run: 'onEnd',
      },
    ] satisfies Transition[]
  ).map((t): Transition => Object.freeze({ ...t, from: Object.freeze([...t.from]) })),
);

const INDEX = new Map<string, Transition[]>();
for (const t of TRANSITIONS) {
  for (const s of t.from) {
    const key = `${s}:${t.on}`;
    INDEX.set(key, [...(INDEX.get(key) ?? []), t]);
  }
}

const defaultRandomBytes = (length: number): Uint8Array => {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
};

interface OwnKex {
  dh: DH;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  body: Uint8Array;
}

const DATA_TYPE_BYTE = Uint8Array.of(FrameType.DATA);
const END_TYPE_BYTE = Uint8Array.of(FrameType.END);

/** A keyed HMAC-SHA256 whose key blocks are hashed once, cloned per message. */
class Mac {
  readonly #base: ReturnType<typeof hmac.create>;
  constructor(key: Uint8Array) {
    this.#base = hmac.create(sha256, key);
  }
  tag(type: typeof FrameType.DATA | typeof FrameType.END, data: Uint8Array): Uint8Array {
    const h = this.#base.clone();
    h.update(type === FrameType.DATA ? DATA_TYPE_BYTE : END_TYPE_BYTE);
    h.update(data);
    return h.digest().subarray(0, messageLengths.tag);
  }
  destroy(): void {
    this.#base.destroy();
  }
}

const HEADER = 5;
const { offset: OFFSET, tag: TAG } = messageLengths;

/**
 * One end of an end-to-end encrypted conversation through an untrusted relay.
 *
 * Feed it every byte received with {@link ClientSession.receive}; write every
 * byte {@link ClientSession.takeOutput} returns. It opens no socket, sets no
 * timer and reads no clock.
 *
 * @example
 * ```ts
 * const session = new ClientSession({ room: 'lobby', name: 'alice' });
 * session.start();
 * socket.write(session.takeOutput());
 * socket.on('data', (chunk) => {
 *   for (const ev of session.receive(chunk)) {
 *     if (ev.type === 'secured') console.log('compare:', ev.sas);
 *     if (ev.type === 'text') console.log(new TextDecoder().decode(ev.data));
 *   }
 *   socket.write(session.takeOutput());
 * });
 * ```
 */
export class ClientSession {
  readonly #room: string;
  readonly #name: string;
  readonly #group: { id: number; group: DHGroup };
  readonly #minGroupBits: number;
  readonly #passphrase: Uint8Array | undefined;
  readonly #randomBytes: (length: number) => Uint8Array;
  readonly #maxFrameLength: number;
  readonly #budget: number;
  readonly #decoder: FrameDecoder;

  #state: SessionState = 'idle';
  #error: ProtocolError | undefined;
  #output: Uint8Array[] = [];

  #role: Role | undefined;
  #peerName: string | undefined;
  #ended = false;
  #peerEnded = false;
  #peerLeft = false;
  /** the peer's CONFIRM verified: only then are the SAS and the keys vouched for */
  #secured = false;

  #own: OwnKex | undefined;
  #commitBody: Uint8Array | undefined;
  #commit: { suite: number; group: number; commitment: Uint8Array } | undefined;
  #responderKexBody: Uint8Array | undefined;
  #keys: KeySchedule | undefined;
  #sendStream: RC4Stream | undefined;
  #recvStream: RC4Stream | undefined;
  #sendMac: Mac | undefined;
  #recvMac: Mac | undefined;
  #sent = 0;
  #received = 0;

  /**
   * @param options - `name` is required; see {@link SessionOptions} for the defaults
   * @throws LocalProtocolError INVALID_ARGUMENT for a bad option (bad name or room, a group
   *   with no wire id or below `minGroupBits`, an empty passphrase, ...)
   */
  constructor(options: SessionOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"options" expected object, got ${_describe(options)}`,
      );
    }
    validateName(options.name);
    // NFC (PROTOCOL.md §1): the spelling sent in HELLO and hashed into the transcript.
    this.#name = options.name.normalize('NFC');
    const room = options.room ?? DEFAULT_ROOM;
    validateRoom(room);
    this.#room = room === '' ? DEFAULT_ROOM : room.normalize('NFC');
    const minGroupBits = options.minGroupBits ?? DEFAULT_MIN_GROUP_BITS;
    if (!Number.isInteger(minGroupBits) || minGroupBits < 1) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"minGroupBits" expected a positive integer, got ${String(minGroupBits)}`,
      );
    }
    this.#minGroupBits = minGroupBits;
    const group = groupId(options.group ?? defaultGroupFor(minGroupBits));
    if (group === undefined) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"group" expected a registered group (ffdhe2048..8192, modp2048..8192), got ${
          typeof options.group === 'string' ? options.group : _describe(options.group)
        }`,
      );
    }
    if (group.group.bits < minGroupBits) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"group" ${group.name} has ${group.group.bits} bits, below "minGroupBits" ${minGroupBits}`,
      );
    }
    this.#group = group;
    this.#passphrase = options.passphrase === undefined ? undefined : passphraseBytes(options.passphrase);
    if (options.randomBytes !== undefined && typeof options.randomBytes !== 'function') {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"randomBytes" expected function, got ${_describe(options.randomBytes)}`,
      );
    }
    this.#randomBytes = options.randomBytes ?? defaultRandomBytes;
    this.#maxFrameLength = _checkMaxFrameLength(options.maxFrameLength);
    const budget = options.byteBudget ?? DEFAULT_BYTE_BUDGET;
    if (!Number.isSafeInteger(budget) || budget < 1) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"byteBudget" expected a positive integer, got ${String(budget)}`,
      );
    }
    this.#budget = budget;
    this.#decoder = new FrameDecoder({ maxFrameLength: this.#maxFrameLength, acceptType: isKnownFrameType });
  }

  /** The current state. */
  get state(): SessionState {
    return this.#state;
  }
  /** This side's role, once paired. */
  get role(): Role | undefined {
    return this.#role;
  }
  /** The peer's display name (as the relay announced it, authenticated by CONFIRM), once paired. */
  get peerName(): string | undefined {
    return this.#peerName;
  }
  /**
   * The short authentication string, once secured (the peer's CONFIRM verified), and
   * still after a clean close; undefined before, for a session that closed during the
   * handshake, and after a failure.
   */
  get sas(): string | undefined {
    return this.#showSas() ? this.#keys?.sas : undefined;
  }
  /** The SAS words, under the same conditions as {@link ClientSession.sas}. */
  get sasWords(): readonly string[] | undefined {
    return this.#showSas() ? this.#keys?.sasWords : undefined;
  }
  /** Plaintext bytes sent so far (= the sending keystream's position after the drop). */
  get sent(): number {
    return this.#sent;
  }
  /** Plaintext bytes received so far (= the receiving keystream's position after the drop). */
  get received(): number {
    return this.#received;
  }
  /** Bytes this side may still send before its budget is spent. */
  get sendBudgetRemaining(): number {
    return this.#budget - this.#sent;
  }
  /** Whether this side has sent END. */
  get ended(): boolean {
    return this.#ended;
  }
  /** Whether the peer's authenticated END has arrived. */
  get peerEnded(): boolean {
    return this.#peerEnded;
  }
  /** The error that killed the session, if it failed. */
  get error(): ProtocolError | undefined {
    return this.#error;
  }
  /** The largest plaintext one DATA frame carries (longer `send`s are split). */
  get maxDataLength(): number {
    return this.#maxFrameLength - 1 - OFFSET - TAG;
  }

  /**
   * Queues HELLO (version, room, name).
   *
   * @throws LocalProtocolError ALREADY_STARTED; the stored error once the session failed
   * @example
   * ```ts
   * session.start(); socket.write(session.takeOutput());
   * ```
   */
  start(): void {
    this.#local('start');
  }

  /**
   * Encrypts, authenticates and queues text as DATA frames (split at
   * {@link ClientSession.maxDataLength}). An empty array queues nothing.
   *
   * @param text - the plaintext bytes (not modified)
   * @throws LocalProtocolError NOT_SECURED, ENDED, CLOSED, BUDGET_EXHAUSTED or INVALID_ARGUMENT
   *   (nothing is queued then); the stored error once the session failed
   * @example
   * ```ts
   * session.send(new TextEncoder().encode('hello\n'));
   * ```
   */
  send(text: Uint8Array): void {
    if (this.#error) throw this.#error;
    if (!(text instanceof Uint8Array)) {
      throw new LocalProtocolError('INVALID_ARGUMENT', `"text" expected Uint8Array, got ${_describe(text)}`);
    }
    this.#local('send', text);
  }

  /**
   * Queues an authenticated END: this side sends nothing more (half-close). The
   * peer may go on sending until it ends too. If the peer had already ended, the
   * session is now `closed`; no `closed` event is reported for that (the event comes
   * from {@link ClientSession.receive} only, when the peer's END is the last one).
   *
   * @throws LocalProtocolError NOT_SECURED, ENDED or CLOSED; the stored error once the session failed
   * @example
   * ```ts
   * session.end(); socket.write(session.takeOutput());
   * ```
   */
  end(): void {
    this.#local('end');
  }

  /**
   * Queues a PING to the relay; its PONG arrives as a `pong` event.
   *
   * @throws LocalProtocolError NOT_STARTED; the stored error once the session failed
   * @example
   * ```ts
   * setInterval(() => { session.ping(); socket.write(session.takeOutput()); }, 30_000);
   * ```
   */
  ping(): void {
    this.#local('ping');
  }

  /**
   * Takes every byte queued for the transport: HELLO, handshake replies, DATA,
   * END, PING/PONG, in order.
   *
   * @returns the bytes (an empty Uint8Array when nothing is pending). Never throws:
   *   after a failure it still returns what was queued before the fault (write it,
   *   then close), and nothing after that
   * @example
   * ```ts
   * const bytes = session.takeOutput(); if (bytes.length) socket.write(bytes);
   * ```
   */
  takeOutput(): Uint8Array {
    const parts = this.#output;
    this.#output = [];
    if (parts.length === 1) return parts[0]!;
    return concatBytes(...parts);
  }

  /**
   * Feeds bytes from the transport (in any split).
   *
   * @param bytes - the next bytes received
   * @returns the events they produce, in order. A fault of the peer or the relay
   *   ends the list with `{ type: 'error' }`: the session is then failed.
   * @throws LocalProtocolError NOT_STARTED before `start()`, INVALID_ARGUMENT for a
   *   non-Uint8Array; the stored error once the session failed
   * @example
   * ```ts
   * for (const ev of session.receive(chunk)) handle(ev);
   * ```
   */
  receive(bytes: Uint8Array): SessionEvent[] {
    if (this.#error) throw this.#error;
    if (!(bytes instanceof Uint8Array)) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"bytes" expected Uint8Array, got ${_describe(bytes)}`,
      );
    }
    if (this.#state === 'idle') throw new LocalProtocolError('NOT_STARTED', 'receive() before start()');
    const events: SessionEvent[] = [];
    const { frames, error } = this.#decoder.decode(bytes);
    try {
      for (const frame of frames) {
        const name = frameTypeName(frame.type)!;
        const row = this.#find(name);
        if (row === undefined) {
          throw new RemoteProtocolError(
            'UNEXPECTED_FRAME',
            `unexpected ${name} frame in state ${this.#state}`,
          );
        }
        this.#apply(row, frame.body, events);
      }
      if (error) throw error;
    } catch (e) {
      this.#fail(e, events);
    }
    return events;
  }

  /**
   * The transport closed. Clean only once the session is closed (both ENDs, or
   * the peer left); otherwise the session fails with CONNECTION_LOST.
   *
   * @returns no events when clean, else one `{ type: 'error' }`
   * @throws the stored error once the session failed
   * @example
   * ```ts
   * socket.on('close', () => report(session.transportClosed()));
   * ```
   */
  transportClosed(): SessionEvent[] {
    if (this.#error) throw this.#error;
    const events: SessionEvent[] = [];
    try {
      this.#apply(this.#find('eof')!, new Uint8Array(0), events);
    } catch (e) {
      this.#fail(e, events);
    }
    return events;
  }

  // ---------------------------------------------------------------------------
  // The machine.

  #showSas(): boolean {
    return this.#secured && (this.#state === 'secured' || this.#state === 'closed');
  }

  #flags(): SessionFlags {
    return { role: this.#role, ended: this.#ended, peerEnded: this.#peerEnded, peerLeft: this.#peerLeft };
  }

  #find(input: SessionInput): Transition | undefined {
    const rows = INDEX.get(`${this.#state}:${input}`);
    if (rows === undefined) return undefined;
    const flags = this.#flags();
    return rows.find((t) => (t.role === undefined || t.role === flags.role) && (t.when?.(flags) ?? true));
  }

  #local(input: 'start' | 'send' | 'end' | 'ping', text?: Uint8Array): void {
    if (this.#error) throw this.#error;
    const row = this.#find(input);
    if (row === undefined) throw new LocalProtocolError(this.#refusal(input), this.#refusalMessage(input));
    this.#apply(row, text ?? new Uint8Array(0), []);
  }

  #refusal(input: 'start' | 'send' | 'end' | 'ping'): ProtocolErrorCode {
    const s = this.#state;
    if (input === 'start') return 'ALREADY_STARTED';
    if (s === 'idle') return 'NOT_STARTED';
    if (input === 'ping') return 'SESSION_FAILED';
    if (this.#ended) return 'ENDED';
    if (s === 'closed') return 'CLOSED';
    return 'NOT_SECURED';
  }

  #refusalMessage(input: string): string {
    const s = this.#state;
    if (input === 'start') return 'start() was already called';
    if (s === 'idle') return `${input}() before start()`;
    if (this.#ended) return `${input}() after end()`;
    if (s === 'closed') return `${input}() on a closed session`;
    return `${input}() before the session is secured (state ${s})`;
  }

  #apply(row: Transition, body: Uint8Array, events: SessionEvent[]): void {
    this.#run(row.run, body, events);
    const to = row.to;
    if (to === 'same') return;
    this.#state = typeof to === 'function' ? to(this.#flags()) : to;
    if (this.#state === 'closed') this.#wipeStreams();
  }

  #fail(e: unknown, events: SessionEvent[]): void {
    // Anything but a ProtocolError (a bug, or a dependency refusing hostile input
    // in a way we did not foresee) still kills the session, never escapes receive().
    const error =
      e instanceof RemoteProtocolError || e instanceof LocalProtocolError
        ? e
        : Object.assign(new RemoteProtocolError('MALFORMED_FRAME', 'malformed input'), { cause: e });
    this.#error = error;
    this.#state = 'failed';
    // Bytes queued before the fault (e.g. our CONFIRM, so that the peer learns of a
    // failed confirmation too) stay queued; nothing is queued after it.
    this.#wipeStreams();
    this.#own?.secretKey.fill(0);
    events.push({ type: 'error', error });
  }

  #wipeStreams(): void {
    this.#sendStream?.wipe();
    this.#recvStream?.wipe();
    this.#sendMac?.destroy();
    this.#recvMac?.destroy();
    this.#sendStream = this.#recvStream = undefined;
    this.#sendMac = this.#recvMac = undefined;
  }

  #queue(bytes: Uint8Array): void {
    this.#output.push(bytes);
  }

  #queueFrame(type: number, body: Uint8Array): void {
    this.#queue(encodeFrame({ type, body }, this.#maxFrameLength));
  }

  #run(action: SessionAction, body: Uint8Array, events: SessionEvent[]): void {
    switch (action) {
      case 'none':
        return;
      case 'sendHello':
        this.#queueFrame(FrameType.HELLO, encodeHello({ room: this.#room, name: this.#name }));
        return;
      case 'sendPing':
        this.#queueFrame(FrameType.PING, new Uint8Array(0));
        return;
      case 'sendData':
        this.#sendData(body);
        return;
      case 'sendEnd':
        this.#sendEnd();
        return;
      case 'onWaiting':
        decodeEmpty('WAITING', body);
        events.push({ type: 'waiting' });
        return;
      case 'onPaired':
        this.#onPaired(body, events);
        return;
      case 'onPing':
        this.#queueFrame(FrameType.PONG, decodePing(body).slice());
        return;
      case 'onPong':
        decodePing(body);
        events.push({ type: 'pong' });
        return;
      case 'onRelayError': {
        const { code, message } = decodeError(body);
        const name = errorCodeName(code) ?? 'unknown';
        throw new RemoteProtocolError('RELAY_ERROR', `relay error ${code} (${name}): ${message}`, code);
      }
      case 'onPeerLeft':
        decodeEmpty('PEER_LEFT', body);
        this.#peerLeft = true;
        events.push({ type: 'peer-left', ended: this.#peerEnded });
        return;
      case 'onCommit':
        this.#onCommit(body);
        return;
      case 'onResponderKex':
        this.#onResponderKex(body);
        return;
      case 'onInitiatorKex':
        this.#onInitiatorKex(body);
        return;
      case 'onConfirm':
        this.#onConfirm(body, events);
        return;
      case 'onData':
        this.#onData(body, events);
        return;
      case 'onEnd':
        this.#onEnd(body, events);
        return;
      case 'onConnectionLost':
        throw new RemoteProtocolError(
          'CONNECTION_LOST',
          this.#decoder.buffered > 0
            ? 'the transport closed inside a frame'
            : 'the transport closed before the conversation ended',
        );
    }
  }

  // ---------------------------------------------------------------------------
  // Handshake.

  #makeKex(group: { id: number; group: DHGroup }): OwnKex {
    const nonce = this.#randomBytes(messageLengths.nonce);
    if (!(nonce instanceof Uint8Array) || nonce.length !== messageLengths.nonce) {
      throw new LocalProtocolError('INVALID_ARGUMENT', '"randomBytes" returned the wrong length');
    }
    const dh = createDH(group.group, { randomBytes: this.#randomBytes });
    let pair: { secretKey: Uint8Array; publicKey: Uint8Array };
    try {
      pair = dh.keygen();
    } catch (e) {
      // Only the injected randomness can make keygen fail: a local fault, not tampering.
      throw Object.assign(
        new LocalProtocolError(
          'INVALID_ARGUMENT',
          `"randomBytes" gave unusable bytes: ${e instanceof Error ? e.message : String(e)}`,
        ),
        { cause: e },
      );
    }
    const { secretKey, publicKey } = pair;
    const body = encodeKex({ suite: SUITE_FFDH_RC4DROP3072_HMACSHA256, group: group.id, nonce, publicKey });
    return { dh, secretKey, publicKey, body };
  }

  #onPaired(body: Uint8Array, events: SessionEvent[]): void {
    const { role, peerName } = decodePaired(body);
    this.#role = role;
    this.#peerName = peerName;
    events.push({ type: 'paired', role, peerName });
    if (role === 'initiator') {
      const own = this.#makeKex(this.#group);
      this.#own = own;
      const commit = encodeCommit({
        suite: SUITE_FFDH_RC4DROP3072_HMACSHA256,
        group: this.#group.id,
        commitment: commitmentOf(own.body),
      });
      this.#commitBody = commit;
      this.#queueFrame(FrameType.COMMIT, commit);
    }
  }

  #onCommit(body: Uint8Array): void {
    const commit = decodeCommit(body);
    if (!SUPPORTED_SUITES.includes(commit.suite)) {
      throw new RemoteProtocolError('UNSUPPORTED_SUITE', `unsupported cipher suite 0x${hex16(commit.suite)}`);
    }
    const known = groupById(commit.group);
    if (known === undefined) {
      throw new RemoteProtocolError('UNKNOWN_GROUP', `unknown group id 0x${hex16(commit.group)}`);
    }
    if (known.group.bits < this.#minGroupBits) {
      throw new RemoteProtocolError(
        'GROUP_TOO_SMALL',
        `the peer proposed ${known.name} (${known.group.bits} bits), below the minimum ${this.#minGroupBits}`,
      );
    }
    this.#commitBody = body.slice();
    this.#commit = { suite: commit.suite, group: commit.group, commitment: this.#commitBody.subarray(4) };
    const own = this.#makeKex({ id: commit.group, group: known.group });
    this.#own = own;
    this.#responderKexBody = own.body;
    this.#queueFrame(FrameType.KEX, own.body);
  }

  #sharedSecret(peerPublicKey: Uint8Array): Uint8Array {
    const own = this.#own!;
    if (peerPublicKey.length !== own.dh.lengths.publicKey) {
      throw new RemoteProtocolError(
        'MALFORMED_FRAME',
        `KEX public key of ${peerPublicKey.length} bytes, expected ${own.dh.lengths.publicKey}`,
      );
    }
    if (equalBytes(peerPublicKey, own.publicKey)) {
      throw new RemoteProtocolError('INVALID_PUBLIC_KEY', 'the peer public key equals ours (reflection)');
    }
    try {
      return own.dh.getSharedSecret(own.secretKey, peerPublicKey);
    } catch {
      throw new RemoteProtocolError('INVALID_PUBLIC_KEY', 'the peer public key failed validation');
    } finally {
      own.secretKey.fill(0);
    }
  }

  #onResponderKex(body: Uint8Array): void {
    const kex = decodeKex(body);
    if (kex.suite !== SUITE_FFDH_RC4DROP3072_HMACSHA256 || kex.group !== this.#group.id) {
      throw new RemoteProtocolError('PARAMETER_MISMATCH', 'the responder KEX names another suite or group');
    }
    const responderKexBody = body.slice();
    const shared = this.#sharedSecret(kex.publicKey);
    const own = this.#own!;
    this.#queueFrame(FrameType.KEX, own.body);
    this.#derive(shared, responderKexBody, own.body);
  }

  #onInitiatorKex(body: Uint8Array): void {
    const commit = this.#commit!;
    if (!equalBytes(commitmentOf(body), commit.commitment)) {
      throw new RemoteProtocolError('COMMITMENT_MISMATCH', 'the initiator KEX does not match its commitment');
    }
    const kex = decodeKex(body);
    if (kex.suite !== commit.suite || kex.group !== commit.group) {
      throw new RemoteProtocolError('PARAMETER_MISMATCH', 'the initiator KEX names another suite or group');
    }
    const initiatorKexBody = body.slice();
    const shared = this.#sharedSecret(kex.publicKey);
    this.#derive(shared, this.#responderKexBody!, initiatorKexBody);
  }

  #derive(shared: Uint8Array, responderKexBody: Uint8Array, initiatorKexBody: Uint8Array): void {
    const initiator = this.#role === 'initiator';
    const th = transcriptHash({
      room: this.#room,
      initiatorName: initiator ? this.#name : this.#peerName!,
      responderName: initiator ? this.#peerName! : this.#name,
      commitBody: this.#commitBody!,
      responderKexBody,
      initiatorKexBody,
    });
    const keys = deriveKeys(shared, th, this.#passphrase);
    shared.fill(0);
    this.#passphrase?.fill(0); // a session derives keys once: the passphrase is done with
    this.#keys = keys;
    const out = initiator ? keys.i2r : keys.r2i;
    const inn = initiator ? keys.r2i : keys.i2r;
    this.#sendStream = createRC4(out.rc4Key, { drop: RC4_DROP });
    this.#recvStream = createRC4(inn.rc4Key, { drop: RC4_DROP });
    this.#sendMac = new Mac(out.macKey);
    this.#recvMac = new Mac(inn.macKey);
    // The RC4 states and the keyed HMACs now hold what they need; the session keeps
    // only the SAS and the two CONFIRM bodies, not the keys themselves.
    for (const key of [out.rc4Key, out.macKey, inn.rc4Key, inn.macKey]) key.fill(0);
    keys.initiatorConfirmKey.fill(0);
    keys.responderConfirmKey.fill(0);
    this.#queueFrame(FrameType.CONFIRM, initiator ? keys.initiatorConfirm : keys.responderConfirm);
  }

  #onConfirm(body: Uint8Array, events: SessionEvent[]): void {
    const keys = this.#keys!;
    const expected = this.#role === 'initiator' ? keys.responderConfirm : keys.initiatorConfirm;
    if (body.length !== messageLengths.confirm || !equalBytes(body, expected)) {
      throw new RemoteProtocolError(
        'AUTH_FAILED',
        'key confirmation failed: a wrong passphrase, or someone in the middle of the key exchange',
      );
    }
    this.#own = undefined;
    this.#secured = true;
    events.push({ type: 'secured', sas: keys.sas, sasWords: keys.sasWords });
  }

  // ---------------------------------------------------------------------------
  // Records.

  #sendData(text: Uint8Array): void {
    if (text.length === 0) return;
    if (this.#sent + text.length > this.#budget) {
      throw new LocalProtocolError(
        'BUDGET_EXHAUSTED',
        `sending ${text.length} bytes would pass the budget of ${this.#budget} (${this.#budget - this.#sent} left): end() and start a new session`,
      );
    }
    const max = this.maxDataLength;
    const stream = this.#sendStream!;
    const mac = this.#sendMac!;
    for (let i = 0; i < text.length; i += max) {
      const chunk = text.subarray(i, Math.min(i + max, text.length));
      const n = chunk.length;
      const frame = new Uint8Array(HEADER + OFFSET + n + TAG);
      _writeHeader(frame, 0, 1 + OFFSET + n + TAG, FrameType.DATA);
      _putU64(frame, HEADER, this.#sent);
      stream.xor(chunk, frame.subarray(HEADER + OFFSET, HEADER + OFFSET + n));
      frame.set(mac.tag(FrameType.DATA, frame.subarray(HEADER, HEADER + OFFSET + n)), HEADER + OFFSET + n);
      this.#sent += n;
      this.#queue(frame);
    }
  }

  #sendEnd(): void {
    const frame = new Uint8Array(HEADER + OFFSET + TAG);
    _writeHeader(frame, 0, 1 + OFFSET + TAG, FrameType.END);
    _putU64(frame, HEADER, this.#sent);
    frame.set(this.#sendMac!.tag(FrameType.END, frame.subarray(HEADER, HEADER + OFFSET)), HEADER + OFFSET);
    this.#ended = true;
    this.#queue(frame);
  }

  #checkOffset(offset: number): void {
    if (offset !== this.#received) {
      throw new RemoteProtocolError(
        'BAD_OFFSET',
        `offset ${offset < 0 ? '≥ 2^53' : offset} where ${this.#received} was expected: a frame was dropped, replayed or reordered`,
      );
    }
  }

  #onData(body: Uint8Array, events: SessionEvent[]): void {
    const { offset, ciphertext, tag } = decodeData(body);
    this.#checkOffset(offset);
    // The tag before the budget: a frame the relay forged is AUTH_FAILED (tampering),
    // never mistaken for a peer that honestly ran out of budget.
    if (!equalBytes(tag, this.#recvMac!.tag(FrameType.DATA, body.subarray(0, body.length - TAG)))) {
      throw new RemoteProtocolError('AUTH_FAILED', 'authentication failed');
    }
    if (this.#received + ciphertext.length > this.#budget) {
      throw new RemoteProtocolError('BUDGET_EXHAUSTED', 'the peer sent past the byte budget');
    }
    const data = this.#recvStream!.xor(ciphertext);
    this.#received += data.length;
    events.push({ type: 'text', data });
  }

  #onEnd(body: Uint8Array, events: SessionEvent[]): void {
    const { offset, tag } = decodeEnd(body);
    this.#checkOffset(offset);
    if (!equalBytes(tag, this.#recvMac!.tag(FrameType.END, body.subarray(0, OFFSET)))) {
      throw new RemoteProtocolError('AUTH_FAILED', 'authentication failed');
    }
    this.#peerEnded = true;
    events.push({ type: 'peer-ended' });
    if (this.#ended) events.push({ type: 'closed' });
  }
}

function hex16(n: number): string {
  return n.toString(16).padStart(4, '0');
}
