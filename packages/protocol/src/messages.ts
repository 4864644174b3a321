/**
 * Bodies of the client-to-client messages (COMMIT, KEX, CONFIRM, DATA, END), the
 * cipher-suite id and the group registry. Byte layouts: PROTOCOL.md §4. Group ids
 * reuse the IANA TLS NamedGroup code points for RFC 7919 groups (256–260) and the
 * IKEv2 Diffie-Hellman group numbers for RFC 3526 groups (14–18).
 * @module
 */
import { type DHGroup, groups } from '@arctalk/dh';
import { _abytes, _getU64 } from './_util';
import { LocalProtocolError, RemoteProtocolError } from './errors';

/** Sizes of the client-to-client message fields, in bytes. */
export const messageLengths = Object.freeze({
  suite: 2,
  group: 2,
  /** SHA-256 commitment in COMMIT */
  commitment: 32,
  /** random nonce in KEX */
  nonce: 32,
  /** HMAC-SHA256 in CONFIRM */
  confirm: 32,
  /** u64 offset in DATA and END */
  offset: 8,
  /** truncated HMAC-SHA256 tag in DATA and END */
  tag: 16,
});

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

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const putU16 = (b: Uint8Array, o: number, v: number) => {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
};

function checkU16(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"${name}" expected integer 0..65535, got ${String(value)}`,
    );
  }
}

function checkBytes(name: string, value: unknown, min: number, max: number): asserts value is Uint8Array {
  _abytes(name, value);
  if (value.length < min || value.length > max) {
    const want = min === max ? `${min}` : `${min}..${max}`;
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"${name}" expected length ${want}, got ${value.length}`,
    );
  }
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
  checkU16('suite', commit.suite);
  checkU16('group', commit.group);
  checkBytes('commitment', commit.commitment, messageLengths.commitment, messageLengths.commitment);
  const out = new Uint8Array(4 + messageLengths.commitment);
  putU16(out, 0, commit.suite);
  putU16(out, 2, commit.group);
  out.set(commit.commitment, 4);
  return out;
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
  if (body.length !== 4 + messageLengths.commitment) {
    throw new RemoteProtocolError('MALFORMED_FRAME', `COMMIT body of ${body.length} bytes, expected 36`);
  }
  return { suite: u16(body, 0), group: u16(body, 2), commitment: body.subarray(4) };
}

/** KEX: `u16 suite | u16 group | 32-byte nonce | public key (|p| bytes, big-endian)`. */
export interface Kex {
  suite: number;
  group: number;
  nonce: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Encodes a KEX body.
 *
 * @param kex - suite, group id, 32-byte nonce, public key (|p| bytes for its group)
 * @returns the body (36 + publicKey.length bytes)
 * @throws LocalProtocolError INVALID_ARGUMENT for a suite or group outside 0..65535, a nonce
 *   that is not 32 bytes or an empty public key
 * @example
 * ```ts
 * encodeKex({ suite: 1, group: GroupId.ffdhe2048, nonce, publicKey });
 * ```
 */
export function encodeKex(kex: Kex): Uint8Array {
  checkU16('suite', kex.suite);
  checkU16('group', kex.group);
  checkBytes('nonce', kex.nonce, messageLengths.nonce, messageLengths.nonce);
  checkBytes('publicKey', kex.publicKey, 1, Number.MAX_SAFE_INTEGER);
  const out = new Uint8Array(4 + messageLengths.nonce + kex.publicKey.length);
  putU16(out, 0, kex.suite);
  putU16(out, 2, kex.group);
  out.set(kex.nonce, 4);
  out.set(kex.publicKey, 4 + messageLengths.nonce);
  return out;
}

/**
 * Decodes a KEX body. The public key's length is checked by the caller against
 * the group (it must be exactly |p| bytes).
 *
 * @param body - the frame body
 * @returns suite, group id, nonce and public key (views into `body`)
 * @throws RemoteProtocolError MALFORMED_FRAME if the body has no room for a public key
 * @example
 * ```ts
 * const { publicKey } = decodeKex(frame.body);
 * ```
 */
export function decodeKex(body: Uint8Array): Kex {
  if (body.length <= 4 + messageLengths.nonce) {
    throw new RemoteProtocolError('MALFORMED_FRAME', `KEX body of ${body.length} bytes is too short`);
  }
  return {
    suite: u16(body, 0),
    group: u16(body, 2),
    nonce: body.subarray(4, 4 + messageLengths.nonce),
    publicKey: body.subarray(4 + messageLengths.nonce),
  };
}

/** DATA: `u64 offset | ciphertext (≥ 1 byte) | 16-byte tag`. */
export interface Data {
  offset: number;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/**
 * Decodes a DATA body.
 *
 * @param body - the frame body
 * @returns offset (-1 if ≥ 2^53), ciphertext and tag (views into `body`)
 * @throws RemoteProtocolError MALFORMED_FRAME if the body is shorter than 25 bytes
 * @example
 * ```ts
 * const { offset, ciphertext, tag } = decodeData(frame.body);
 * ```
 */
export function decodeData(body: Uint8Array): Data {
  const { offset: o, tag: t } = messageLengths;
  if (body.length < o + 1 + t) {
    throw new RemoteProtocolError('MALFORMED_FRAME', `DATA body of ${body.length} bytes is too short`);
  }
  return {
    offset: _getU64(body, 0),
    ciphertext: body.subarray(o, body.length - t),
    tag: body.subarray(body.length - t),
  };
}

/** END: `u64 final offset | 16-byte tag`. */
export interface End {
  offset: number;
  tag: Uint8Array;
}

/**
 * Decodes an END body.
 *
 * @param body - the frame body
 * @returns final offset (-1 if ≥ 2^53) and tag (a view into `body`)
 * @throws RemoteProtocolError MALFORMED_FRAME unless the body is 24 bytes
 * @example
 * ```ts
 * const { offset } = decodeEnd(frame.body);
 * ```
 */
export function decodeEnd(body: Uint8Array): End {
  if (body.length !== messageLengths.offset + messageLengths.tag) {
    throw new RemoteProtocolError('MALFORMED_FRAME', `END body of ${body.length} bytes, expected 24`);
  }
  return { offset: _getU64(body, 0), tag: body.subarray(messageLengths.offset) };
}
