/**
 * CPace, the balanced password-authenticated key exchange of the CFRG draft
 * draft-irtf-cfrg-cpace-21 (23 April 2026), cipher suite CPACE-RISTR255-SHA512:
 * group ristretto255 (RFC 9496) and hash SHA-512 (FIPS 180-4). The group
 * arithmetic is @noble/curves' `ristretto255`, the hash @noble/hashes' `sha512`.
 *
 * Section numbers below are the draft's. What this module does NOT do, because the
 * draft leaves it to the application (§4, §10.4): key confirmation and the KDF
 * that turns the intermediate session key (ISK) into usable keys. arctalk does both
 * in its key schedule (keys.ts, PROTOCOL.md §5).
 *
 * @module
 */
import { ristretto255 } from '@noble/curves/ed25519';
import { bytesToNumberLE } from '@noble/curves/utils';
import { sha512 } from '@noble/hashes/sha2';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils';
import { _abytes } from './_util';
import { LocalProtocolError, RemoteProtocolError } from './errors';

const Point = ristretto255.Point;
const ORDER: bigint = Point.Fn.ORDER;

/**
 * The cipher suite CPACE-RISTR255-SHA512 (§8.3, §8.1): its domain separation
 * string, the hash's input block size and the group's sizes.
 */
export const CPACE_RISTRETTO255_SHA512 = Object.freeze({
  name: 'CPACE-RISTR255-SHA512',
  /** G.DSI, §8.3 */
  dsi: 'CPaceRistretto255',
  /** H.s_in_bytes of SHA-512 (its input block size), §8.1 */
  sInBytes: 128,
  /** H.b_in_bytes of SHA-512 (its output size), §8.1 */
  bInBytes: 64,
  /** G.group_size_bits, §8.3 */
  groupSizeBits: 252,
  /** G.group_order = 2^252 + 27742317777372353535851937790883648493, §8.3 */
  groupOrder: ORDER,
});

/** Lengths of CPace values in bytes (ristretto255 + SHA-512). */
export const cpaceLengths = Object.freeze({
  /** an encoded group element (Ya, Yb, K, the generator) */
  element: 32,
  /** a scalar, little-endian */
  scalar: 32,
  /** the intermediate session key ISK (one SHA-512 output) */
  isk: 64,
});

/** The encoding of the neutral element G.I (§8.3): 32 zero bytes. */
const IDENTITY = new Uint8Array(cpaceLengths.element);

function _abytesLen(name: string, value: unknown, length: number): asserts value is Uint8Array {
  _abytes(name, value);
  if (value.length !== length) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"${name}" expected ${length} bytes, got ${value.length}`,
    );
  }
}

/**
 * LEB128 encoding of a non-negative integer (§6.3.1): 7 bits a byte, least
 * significant group first, bit 7 set while more bytes follow.
 *
 * @param n - a safe non-negative integer
 * @returns its LEB128 bytes (one byte for n < 128)
 * @throws LocalProtocolError INVALID_ARGUMENT for a negative or unsafe integer
 * @example
 * ```ts
 * leb128(300); // Uint8Array [0xac, 0x02]
 * ```
 */
export function leb128(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"n" expected a non-negative safe integer, got ${String(n)}`,
    );
  }
  const out: number[] = [];
  let v = n;
  do {
    const low = v % 128;
    v = Math.floor(v / 128);
    out.push(v > 0 ? low | 0x80 : low);
  } while (v > 0);
  return Uint8Array.from(out);
}

/**
 * `prepend_len(s) = LEB128(len(s)) || s` (§6.3.1).
 *
 * @param s - any bytes
 * @returns the length-prefixed bytes
 * @example
 * ```ts
 * prependLen(utf8ToBytes('ADa')); // 03 41 44 61
 * ```
 */
export function prependLen(s: Uint8Array): Uint8Array {
  _abytes('s', s);
  return concatBytes(leb128(s.length), s);
}

/**
 * `lv_cat(a0, a1, …) = prepend_len(a0) || prepend_len(a1) || …` (§6.3.2).
 *
 * @param parts - the byte strings, in order
 * @returns their length-value concatenation
 * @example
 * ```ts
 * lvCat(ya, adA); // the initiator's half of transcript_ir
 * ```
 */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(
    ...parts.map((p, i) => {
      _abytes(`parts[${i}]`, p);
      return prependLen(p);
    }),
  );
}

/** Lexicographic comparison of byte strings; a proper prefix is smaller. */
function _compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * `o_cat(b1, b2) = "oc" || max(b1, b2) || min(b1, b2)`, ordered lexicographically
 * (§6.3.3, the symmetric setting).
 *
 * @param b1 - one byte string
 * @param b2 - the other
 * @returns the ordered concatenation
 * @example
 * ```ts
 * oCat(lvCat(ya, adA), lvCat(yb, adB));
 * ```
 */
export function oCat(b1: Uint8Array, b2: Uint8Array): Uint8Array {
  _abytes('b1', b1);
  _abytes('b2', b2);
  const [hi, lo] = _compare(b1, b2) > 0 ? [b1, b2] : [b2, b1];
  return concatBytes(utf8ToBytes('oc'), hi, lo);
}

/**
 * The initiator-responder transcript (§6.3.4):
 * `transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb)`.
 *
 * @param ya - initiator's share Ya
 * @param adA - initiator's associated data ADa
 * @param yb - responder's share Yb
 * @param adB - responder's associated data ADb
 * @returns the transcript bytes
 * @example
 * ```ts
 * const t = transcriptIr(ya, adA, yb, adB);
 * ```
 */
export function transcriptIr(ya: Uint8Array, adA: Uint8Array, yb: Uint8Array, adB: Uint8Array): Uint8Array {
  return concatBytes(lvCat(ya, adA), lvCat(yb, adB));
}

/**
 * The ordered-concatenation transcript of the symmetric setting (§6.3.4):
 * `transcript_oc(Ya, ADa, Yb, ADb) = o_cat(lv_cat(Ya, ADa), lv_cat(Yb, ADb))`.
 *
 * @param ya - one party's share
 * @param adA - its associated data
 * @param yb - the other party's share
 * @param adB - its associated data
 * @returns the transcript bytes (the same whichever party is "a")
 * @example
 * ```ts
 * transcriptOc(ya, adA, yb, adB); // equals transcriptOc(yb, adB, ya, adA)
 * ```
 */
export function transcriptOc(ya: Uint8Array, adA: Uint8Array, yb: Uint8Array, adB: Uint8Array): Uint8Array {
  return oCat(lvCat(ya, adA), lvCat(yb, adB));
}

/**
 * The generator string (§8.1):
 * `lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid)` with
 * `len_zpad = max(0, s_in_bytes − len(prepend_len(PRS)) − len(prepend_len(DSI)) − 1)`,
 * so that DSI and PRS fill the hash's first input block.
 *
 * @param dsi - the domain separation string G.DSI
 * @param prs - the password-related string
 * @param ci - the channel identifier
 * @param sid - the session identifier (may be empty)
 * @param sInBytes - the hash's input block size (128 for SHA-512)
 * @returns the generator string
 * @example
 * ```ts
 * generatorString(utf8ToBytes('CPaceRistretto255'), prs, ci, sid, 128);
 * ```
 */
export function generatorString(
  dsi: Uint8Array,
  prs: Uint8Array,
  ci: Uint8Array,
  sid: Uint8Array,
  sInBytes: number,
): Uint8Array {
  _abytes('dsi', dsi);
  _abytes('prs', prs);
  _abytes('ci', ci);
  _abytes('sid', sid);
  const lenZpad = Math.max(0, sInBytes - prependLen(prs).length - prependLen(dsi).length - 1);
  return lvCat(dsi, prs, new Uint8Array(lenZpad), ci, sid);
}

/**
 * `G.calculate_generator(H, PRS, CI, sid)` of ristretto255 (§8.3): SHA-512 of the
 * generator string, then RFC 9496's one-way map from 64 uniform bytes to a group
 * element (`element_derivation`, RFC 9496 §4.3.4; @noble/curves names it
 * `ristretto255.Point.hashToCurve`, which takes the 64 bytes as they are — it is
 * not RFC 9380's hash_to_curve with a DST).
 *
 * @param prs - the password-related string
 * @param ci - the channel identifier
 * @param sid - the session identifier (may be empty)
 * @returns the encoded generator g (32 bytes)
 * @example
 * ```ts
 * const g = cpaceGenerator(utf8ToBytes('Password'), ci, sid);
 * ```
 */
export function cpaceGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const s = CPACE_RISTRETTO255_SHA512;
  const genStrHash = sha512(generatorString(utf8ToBytes(s.dsi), prs, ci, sid, s.sInBytes));
  return Point.hashToCurve(genStrHash).toBytes();
}

/** Reads a scalar (little-endian, 32 bytes) as an integer in 1..order−1. */
function _scalar(y: Uint8Array): bigint {
  _abytesLen('scalar', y, cpaceLengths.scalar);
  const n = bytesToNumberLE(y) % ORDER;
  if (n === 0n)
    throw new LocalProtocolError('INVALID_ARGUMENT', '"scalar" must not be 0 modulo the group order');
  return n;
}

/**
 * `G.sample_scalar()` (§8.3, the RECOMMENDED way): 32 random bytes with the bits
 * above `group_size_bits` (252) cleared, read little-endian. A value of zero
 * (probability 2^-252) is drawn again, once.
 *
 * @param randomBytes - the randomness source (default `crypto.getRandomValues`)
 * @returns a 32-byte little-endian scalar in 1..2^252−1
 * @throws LocalProtocolError INVALID_ARGUMENT when `randomBytes` returns other than 32 bytes,
 *   or zero twice
 * @example
 * ```ts
 * const ya = cpaceSampleScalar();
 * ```
 */
export function cpaceSampleScalar(randomBytes: (length: number) => Uint8Array = _random): Uint8Array {
  // A zero draw has probability 2^-252: two in a row means a broken (injected) source.
  for (let attempt = 0; attempt < 2; attempt++) {
    const y = randomBytes(cpaceLengths.scalar);
    _abytesLen('randomBytes()', y, cpaceLengths.scalar);
    const out = y.slice();
    out[31]! &= 0x0f;
    if (bytesToNumberLE(out) !== 0n) return out;
  }
  throw new LocalProtocolError('INVALID_ARGUMENT', '"randomBytes" returned zero scalars twice: not random');
}

function _random(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/**
 * `G.scalar_mult(y, g) = encode(y · g)` (§8.3), for a trusted, valid `g`
 * (the generator this party computed itself).
 *
 * @param y - scalar, 32 bytes little-endian, non-zero modulo the order
 * @param g - an encoded group element
 * @returns the encoded product (32 bytes)
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad scalar or an element that does not decode
 * @example
 * ```ts
 * const ya = cpaceScalarMult(secret, cpaceGenerator(prs, ci, sid)); // the share Ya
 * ```
 */
export function cpaceScalarMult(y: Uint8Array, g: Uint8Array): Uint8Array {
  _abytesLen('g', g, cpaceLengths.element);
  let point: InstanceType<typeof Point>;
  try {
    point = Point.fromBytes(g);
  } catch {
    throw new LocalProtocolError('INVALID_ARGUMENT', '"g" is not the encoding of a ristretto255 element');
  }
  return point.multiply(_scalar(y)).toBytes();
}

/**
 * `G.scalar_mult_vfy(y, X)` (§8.3): `encode(y · decode(X))`, or the neutral
 * element's encoding G.I (32 zero bytes) when X does not decode. The caller MUST
 * abort when the result is G.I (§7.2); {@link cpaceFinish} does.
 *
 * @param y - scalar, 32 bytes little-endian, non-zero modulo the order
 * @param x - the peer's encoded element, 32 bytes
 * @returns the encoded product, or 32 zero bytes
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad scalar or an X that is not 32 bytes
 * @example
 * ```ts
 * const k = cpaceScalarMultVfy(ya, yb);
 * ```
 */
export function cpaceScalarMultVfy(y: Uint8Array, x: Uint8Array): Uint8Array {
  _abytesLen('x', x, cpaceLengths.element);
  const n = _scalar(y);
  let point: InstanceType<typeof Point>;
  try {
    point = Point.fromBytes(x);
  } catch {
    return IDENTITY.slice();
  }
  return point.multiply(n).toBytes();
}

/**
 * The intermediate session key (§7.2):
 * `ISK = SHA-512(lv_cat(DSI || "_ISK", sid, K) || transcript)`.
 *
 * @param sid - the session identifier (may be empty)
 * @param k - the shared element K (32 bytes)
 * @param transcript - `transcriptIr(...)` or `transcriptOc(...)`
 * @returns ISK, 64 bytes
 * @example
 * ```ts
 * const isk = cpaceIsk(sid, k, transcriptIr(ya, adA, yb, adB));
 * ```
 */
export function cpaceIsk(sid: Uint8Array, k: Uint8Array, transcript: Uint8Array): Uint8Array {
  _abytes('sid', sid);
  _abytesLen('k', k, cpaceLengths.element);
  _abytes('transcript', transcript);
  const dsiIsk = utf8ToBytes(`${CPACE_RISTRETTO255_SHA512.dsi}_ISK`);
  return sha512(concatBytes(lvCat(dsiIsk, sid, k), transcript));
}

/**
 * The optional session-id output (§10.6): `SHA-512("CPaceSidOutput" || transcript)`.
 *
 * @param transcript - `transcriptIr(...)` or `transcriptOc(...)`
 * @returns 64 bytes
 * @example
 * ```ts
 * cpaceSidOutput(transcriptIr(ya, adA, yb, adB));
 * ```
 */
export function cpaceSidOutput(transcript: Uint8Array): Uint8Array {
  _abytes('transcript', transcript);
  return sha512(concatBytes(utf8ToBytes('CPaceSidOutput'), transcript));
}

/** The inputs both parties must agree on (§7.1). */
export interface CPaceInput {
  /** the password-related string: the code's words or the passphrase (UTF-8, NFC) */
  prs: Uint8Array;
  /** the channel identifier (party identities and context) */
  ci: Uint8Array;
  /** the session identifier; may be empty */
  sid: Uint8Array;
}

/** One party's first step: its secret scalar and the share it sends. */
export interface CPaceShare {
  /** the secret scalar y, 32 bytes little-endian (wipe it after {@link cpaceFinish}) */
  secret: Uint8Array;
  /** the public share Y = y · g, 32 bytes */
  share: Uint8Array;
}

/**
 * First step of CPace for either party (§7.2): computes the generator from the
 * shared secret and draws a scalar.
 *
 * @param input - PRS, CI and sid
 * @param randomBytes - randomness source (injectable for known-answer tests)
 * @returns the secret scalar and the public share to send
 * @example
 * ```ts
 * const a = cpaceStart({ prs, ci, sid });
 * send(a.share);
 * ```
 */
export function cpaceStart(input: CPaceInput, randomBytes?: (length: number) => Uint8Array): CPaceShare {
  const g = cpaceGenerator(input.prs, input.ci, input.sid);
  const secret = cpaceSampleScalar(randomBytes);
  return { secret, share: cpaceScalarMult(secret, g) };
}

/**
 * Second step of CPace in the initiator-responder setting (§7.2): K =
 * scalar_mult_vfy(y, peer's share), abort on the neutral element, then ISK over
 * `transcript_ir` (the initiator's share and AD first).
 *
 * @param sid - the session identifier used in {@link cpaceStart}
 * @param secret - this party's scalar
 * @param initiator - the initiator's share Ya and associated data ADa
 * @param responder - the responder's share Yb and associated data ADb
 * @param isInitiator - whether this party is the initiator (its peer's share is then Yb)
 * @returns ISK, 64 bytes
 * @throws RemoteProtocolError INVALID_PUBLIC_KEY when the peer's share does not decode or is the neutral element
 * @example
 * ```ts
 * const isk = cpaceFinish(sid, a.secret, { share: a.share, ad }, { share: yb, ad: adB }, true);
 * ```
 */
export function cpaceFinish(
  sid: Uint8Array,
  secret: Uint8Array,
  initiator: { share: Uint8Array; ad: Uint8Array },
  responder: { share: Uint8Array; ad: Uint8Array },
  isInitiator: boolean,
): Uint8Array {
  const peerShare = isInitiator ? responder.share : initiator.share;
  _abytes('peer share', peerShare);
  if (peerShare.length !== cpaceLengths.element) {
    throw new RemoteProtocolError('INVALID_PUBLIC_KEY', 'the peer sent an invalid CPace share');
  }
  const k = cpaceScalarMultVfy(secret, peerShare);
  let isIdentity = 0;
  for (let i = 0; i < k.length; i++) isIdentity |= k[i]!;
  if (isIdentity === 0)
    throw new RemoteProtocolError('INVALID_PUBLIC_KEY', 'the peer sent an invalid CPace share');
  const isk = cpaceIsk(sid, k, transcriptIr(initiator.share, initiator.ad, responder.share, responder.ad));
  k.fill(0);
  return isk;
}
