/**
 * Finite-field Diffie-Hellman over a prime-order subgroup: key generation,
 * public-key validation and the shared secret.
 *
 * - Groups: RFC 7919 (ffdhe*), RFC 3526 (MODP), or custom `{ p, g, q? }` such
 *   as the RFC 5114 test groups.
 * - Secret keys: by default a short exponent of 2·s bits or more, s being the
 *   group's security strength (NIST SP 800-56A Rev. 3 §5.6.1.1, RFC 7919
 *   §5.2) for safe primes; uniform in [2, q − 1] for groups with a short q of
 *   their own (RFC 5114).
 * - Public keys are validated before the secret key is used (NIST SP 800-56A
 *   Rev. 3 §5.6.2.3.1 full validation, RFC 7919 §5.1): 1 < y < p − 1 and
 *   y^q ≡ 1 (mod p), the latter as a Jacobi symbol for safe primes. A shared
 *   secret of 1 or p − 1 is refused (SP 800-56A Rev. 3 §5.7.1.1), which only a
 *   group without a known prime q lets happen.
 * - Encoding: big-endian unsigned; outputs are left-padded to |p| bytes
 *   (as TLS 1.3 does, RFC 8446 §7.4.1).
 *
 * The exponentiations are supplied by a backend: `bigint` in the default
 * entry, node:crypto in the `"node"` entry (see index.node.ts).
 * @module
 */
import { abytes, bigIntToBytes, bitLength, bytesToBigInt, describe, equalBytes } from './_bytes.js';
import { jacobi } from './_jacobi.js';
import { FixedBaseTable, modPow } from './_modpow.js';
import type { DHGroup } from './groups.js';

/**
 * Thrown when a peer's public key is malformed or unsafe: wrong length, not in
 * 1 < y < p − 1, or outside the subgroup of order q. Such a key can leak bits of
 * the secret key (small-subgroup attacks) or force a predictable shared secret.
 *
 * @example
 * ```ts
 * try { dh.getSharedSecret(secretKey, peerPublicKey); }
 * catch (e) { if (e instanceof InvalidPublicKeyError) abort('bad key from peer'); }
 * ```
 */
export class InvalidPublicKeyError extends Error {
  /** @param message - what is wrong with the key */
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPublicKeyError';
  }
}

/**
 * A group as a caller may give it: a named {@link DHGroup}, or custom parameters.
 * @example
 * ```ts
 * createDH(groups.ffdhe3072);
 * createDH({ p, g, q }); // e.g. an RFC 5114 test group, whose q is 160–256 bits
 * ```
 */
export type DHGroupInput = DHGroup | { readonly p: bigint; readonly g: bigint; readonly q?: bigint };

/**
 * Options for {@link createDH}.
 * @example
 * ```ts
 * createDH(groups.ffdhe2048, { secretKeyBits: 256 });
 * createDH(groups.ffdhe2048, { randomBytes: (n) => seeded.next(n) }); // tests only
 * ```
 */
export interface DHOptions {
  /**
   * Source of randomness, `length` bytes per call. Default:
   * `globalThis.crypto.getRandomValues`. Inject a deterministic one to turn a
   * whole handshake into a reproducible test vector (never in production).
   */
  randomBytes?: (length: number) => Uint8Array;
  /**
   * Size of generated secret exponents in bits; keys are drawn uniformly from
   * [2, 2^secretKeyBits − 1], or from [2, q − 1] once it reaches the bit
   * length of q. At least 2 × the group's security strength (224 for a
   * 2048-bit group; or |q| if that is less), and at least 2: a smaller value
   * would make keys easy to find, so it throws. Default for safe-prime groups
   * (all named groups): max(2 × security strength, RFC 7919 §5.2 minimum)
   * rounded up to whole bytes, e.g. 232 bits for 2048-bit groups; full-size
   * below 1024 bits. Default for groups with a short q of their own (RFC
   * 5114): |q|.
   */
  secretKeyBits?: number;
}

/**
 * Diffie-Hellman in one group, shaped like noble-curves' `x25519`.
 * @example
 * ```ts
 * const dh = createDH(groups.ffdhe2048);
 * const { secretKey, publicKey } = dh.keygen(); // send publicKey (dh.lengths.publicKey bytes)
 * dh.validatePublicKey(peerPublicKey);           // optional: getSharedSecret validates too
 * const sharedSecret = dh.getSharedSecret(secretKey, peerPublicKey);
 * ```
 */
export interface DH {
  /** The group, frozen. */
  readonly group: DHGroup;
  /** Byte lengths of what `keygen` and `getSharedSecret` return. */
  readonly lengths: { readonly secretKey: number; readonly publicKey: number; readonly sharedSecret: number };
  /**
   * A fresh key pair.
   * @returns `secretKey` (`lengths.secretKey` bytes) and `publicKey` (`lengths.publicKey` bytes)
   * @throws TypeError / RangeError if the `randomBytes` option returns something other than
   *   `lengths.secretKey` bytes; Error if it keeps returning values out of range (e.g. all zeros)
   */
  keygen(): { secretKey: Uint8Array; publicKey: Uint8Array };
  /**
   * g^secretKey mod p.
   * @param secretKey - big-endian, 1 … byteLength bytes, value in [2, q − 1]
   * @returns the public key, exactly `lengths.publicKey` bytes
   * @throws TypeError if secretKey is not a Uint8Array; RangeError if it is out of range
   */
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  /**
   * peerPublicKey^secretKey mod p, after validating peerPublicKey.
   * @param secretKey - our secret key
   * @param peerPublicKey - the peer's public key, big-endian, 1 … byteLength bytes
   * @returns the shared secret, exactly `lengths.sharedSecret` bytes (leading zeros kept)
   * @throws InvalidPublicKeyError if the peer's key fails validation (checked first), or if
   *   the result is 1 or p − 1 (possible only in a group without a known prime q)
   * @throws TypeError / RangeError for a malformed argument
   */
  getSharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
  /**
   * Full public-key validation: 1 ≤ length ≤ byteLength, 1 < y < p − 1, y^q ≡ 1 (mod p).
   * @param publicKey - a public key to check
   * @throws InvalidPublicKeyError if it fails; TypeError if it is not a Uint8Array
   */
  validatePublicKey(publicKey: Uint8Array): void;
}

/**
 * The exponentiations a backend performs. Arguments are already validated;
 * `secretKey`/`peerPublicKey` are the caller's bytes for `x`/`y`.
 * @internal
 */
export interface DHBackend {
  /** g^x mod p as byteLength bytes. */
  publicKey(x: bigint, secretKey: Uint8Array): Uint8Array;
  /** y^x mod p as byteLength bytes. */
  sharedSecret(x: bigint, secretKey: Uint8Array, y: bigint, peerPublicKey: Uint8Array): Uint8Array;
}

/** @internal Makes the backend for a group; `secretKeyBits` is the usual exponent size. */
export type DHBackendFactory = (group: DHGroup, secretKeyBits: number) => DHBackend;

/**
 * Security strength in bits of a finite-field group with a p of `bits` bits:
 * NIST SP 800-57 Part 1 Rev. 5 Table 2 and SP 800-56A Rev. 3 Appendix D.
 */
export function securityStrength(bits: number): number {
  if (bits >= 15360) return 256;
  if (bits >= 8192) return 200;
  if (bits >= 6144) return 176;
  if (bits >= 4096) return 152;
  if (bits >= 3072) return 128;
  if (bits >= 2048) return 112;
  if (bits >= 1024) return 80;
  return 0; // below 1024 bits: no meaningful strength; keep exponents full-size
}

/** RFC 7919 §5.2 Table: minimum short-exponent lengths for the ffdhe sizes. */
function rfc7919MinimumExponent(bits: number): number {
  if (bits >= 8192) return 400;
  if (bits >= 6144) return 375;
  if (bits >= 4096) return 325;
  if (bits >= 3072) return 275;
  if (bits >= 2048) return 225;
  return 0;
}

/**
 * Default secret exponent size for a safe-prime group whose p has `bits` bits:
 * max(2·s, RFC 7919 §5.2 minimum) rounded up to whole bytes, or `Infinity`
 * (uniform in [2, q − 1]) for groups under 1024 bits.
 */
export function defaultSecretKeyBits(bits: number): number {
  const s = securityStrength(bits);
  if (s === 0) return Number.POSITIVE_INFINITY;
  const n = Math.max(2 * s, rfc7919MinimumExponent(bits));
  return Math.ceil(n / 8) * 8;
}

function defaultRandomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (typeof c?.getRandomValues !== 'function') {
    throw new Error('globalThis.crypto.getRandomValues is not available: pass options.randomBytes');
  }
  for (let i = 0; i < length; i += 65536) c.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}

/**
 * Groups already checked: each group this module made or kept → itself, and each frozen
 * input → the group made from it. So a frozen group passed again (a named group, `dh.group`,
 * or your own `Object.freeze({ p, g, q })`) is not checked again and keeps its fixed-base table.
 */
const validated = new WeakMap<object, DHGroup>();

/** Checks and freezes a group argument. */
export function toGroup(input: unknown): DHGroup {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`"group" expected { p, g, q? }, got ${describe(input)}`);
  }
  const known = validated.get(input);
  if (known !== undefined) return known;
  const { p, g, q, name } = input as { p?: unknown; g?: unknown; q?: unknown; name?: unknown };
  if (typeof p !== 'bigint') throw new TypeError(`"group.p" expected bigint, got ${describe(p)}`);
  if (typeof g !== 'bigint') throw new TypeError(`"group.g" expected bigint, got ${describe(g)}`);
  if (q !== undefined && typeof q !== 'bigint')
    throw new TypeError(`"group.q" expected bigint, got ${describe(q)}`);
  if (name !== undefined && typeof name !== 'string') {
    throw new TypeError(`"group.name" expected string, got ${describe(name)}`);
  }
  if (p < 5n || (p & 1n) === 0n) throw new RangeError('"group.p" expected an odd prime ≥ 5');
  if (g <= 1n || g >= p - 1n) throw new RangeError('"group.g" expected 1 < g < p − 1');
  const order = q ?? p - 1n;
  if (order < 2n || order > p - 1n || (p - 1n) % order !== 0n) {
    throw new RangeError('"group.q" expected a divisor of p − 1');
  }
  if (order !== p - 1n && subgroupSymbol(g, p, order) !== 1n) {
    throw new RangeError('"group.g" does not generate a subgroup of order q');
  }
  const bits = bitLength(p);
  const byteLength = Math.ceil(bits / 8);
  const given = input as Partial<DHGroup>;
  // A frozen, complete and consistent DHGroup (such as groups.ffdhe2048) is kept as is.
  const group: DHGroup =
    Object.isFrozen(input) &&
    typeof name === 'string' &&
    q !== undefined &&
    given.bits === bits &&
    given.byteLength === byteLength
      ? (input as DHGroup)
      : Object.freeze({ name: name ?? 'custom', p, g, q: order, byteLength, bits });
  validated.set(group, group);
  // A frozen input cannot change its data, so it maps to the group made from it.
  if (Object.isFrozen(input)) validated.set(input, group);
  return group;
}

/** y^q mod p, computed as a Jacobi symbol when p is a safe prime. */
function subgroupSymbol(y: bigint, p: bigint, q: bigint): bigint {
  if (q === (p - 1n) >> 1n) return jacobi(y, p) === 1 ? 1n : -1n;
  return modPow(y, q, p);
}

/**
 * The shared body of both entries' `createDH`.
 * @internal
 */
export function createDHWith(factory: DHBackendFactory, groupInput: unknown, options?: DHOptions): DH {
  const group = toGroup(groupInput);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`"options" expected object, got ${describe(options)}`);
  }
  const randomBytes = options?.randomBytes ?? defaultRandomBytes;
  if (typeof randomBytes !== 'function') {
    throw new TypeError(`"options.randomBytes" expected function, got ${describe(randomBytes)}`);
  }
  const requested = options?.secretKeyBits;
  if (requested !== undefined) {
    if (typeof requested !== 'number') {
      throw new TypeError(`"options.secretKeyBits" expected number, got ${describe(requested)}`);
    }
    if (!Number.isInteger(requested) || requested < 2) {
      throw new RangeError(`"options.secretKeyBits" expected an integer ≥ 2, got ${requested}`);
    }
  }
  const { p, q, byteLength } = group;
  const qBits = bitLength(q);
  // SP 800-56A Rev. 3 §5.6.1.1: exponents of at least 2s bits, s the security strength.
  const minimumBits = Math.min(2 * securityStrength(group.bits), qBits);
  if (requested !== undefined && requested < minimumBits) {
    throw new RangeError(
      `"options.secretKeyBits" expected at least ${minimumBits} for a ${group.bits}-bit group (twice its security strength), got ${requested}`,
    );
  }
  const safePrime = q === (p - 1n) >> 1n;
  const trivialOrder = q === p - 1n;
  // SP 800-56A Rev. 3 §5.6.1.1: a group with its own (short) q, as RFC 5114's,
  // takes x uniform in [1, q − 1] (here [2, q − 1]); a safe-prime group takes
  // x in [1, 2^n − 1] with 2s ≤ n ≤ |q| (here [2, 2^n − 1]).
  const shortDefault = safePrime || trivialOrder ? defaultSecretKeyBits(group.bits) : qBits;
  const n = Math.min(requested ?? shortDefault, qBits);
  const uniform = n >= qBits;
  const secretLength = Math.ceil(n / 8);
  const topMask = 0xff >> (secretLength * 8 - n);
  const pMinus1 = p - 1n;
  const pMinus1Bytes = bigIntToBytes(pMinus1, byteLength);
  const oneBytes = bigIntToBytes(1n, byteLength);
  const backend = factory(group, n);

  const secretScalar = (secretKey: unknown): bigint => {
    abytes(secretKey, 'secretKey');
    if (secretKey.length === 0 || secretKey.length > Math.max(byteLength, secretLength)) {
      throw new RangeError(`"secretKey" expected length 1..${byteLength}, got ${secretKey.length}`);
    }
    const x = bytesToBigInt(secretKey);
    if (x < 2n || x >= q) throw new RangeError('"secretKey" expected a value in [2, q − 1]');
    return x;
  };

  const publicScalar = (publicKey: unknown, name: string): bigint => {
    abytes(publicKey, name);
    if (publicKey.length === 0 || publicKey.length > byteLength) {
      throw new InvalidPublicKeyError(`"${name}" expected length 1..${byteLength}, got ${publicKey.length}`);
    }
    const y = bytesToBigInt(publicKey);
    if (y <= 1n || y >= pMinus1) throw new InvalidPublicKeyError(`"${name}" expected 1 < y < p − 1`);
    if (!trivialOrder) {
      const inSubgroup = safePrime ? jacobi(y, p) === 1 : modPow(y, q, p) === 1n;
      if (!inSubgroup) throw new InvalidPublicKeyError(`"${name}" is not in the subgroup of order q`);
    }
    return y;
  };

  const dh: DH = {
    group,
    lengths: Object.freeze({ secretKey: secretLength, publicKey: byteLength, sharedSecret: byteLength }),
    keygen() {
      // Rejection sampling keeps keys uniform; each draw is accepted with
      // probability ≥ 1/2, so 256 rejections in a row mean a broken source.
      for (let attempt = 0; attempt < 256; attempt++) {
        const secretKey = randomBytes(secretLength);
        abytes(secretKey, 'randomBytes()');
        if (secretKey.length !== secretLength) {
          throw new RangeError(`"randomBytes()" expected length ${secretLength}, got ${secretKey.length}`);
        }
        const own = Uint8Array.from(secretKey);
        own[0] = (own[0] as number) & topMask;
        const x = bytesToBigInt(own);
        if (x < 2n || (uniform && x >= q)) continue; // rejection sampling: stays uniform
        return { secretKey: own, publicKey: backend.publicKey(x, own) };
      }
      throw new Error('"randomBytes()" returned 256 out-of-range secret keys in a row: is it random?');
    },
    getPublicKey(secretKey) {
      const x = secretScalar(secretKey);
      return backend.publicKey(x, secretKey);
    },
    getSharedSecret(secretKey, peerPublicKey) {
      // Validate the peer's key before the secret key is touched.
      const y = publicScalar(peerPublicKey, 'peerPublicKey');
      const x = secretScalar(secretKey);
      const sharedSecret = backend.sharedSecret(x, secretKey, y, peerPublicKey);
      // SP 800-56A Rev. 3 §5.7.1.1: Z = 1 or p − 1 means the peer's key has small order
      // (validation cannot see that without a prime q). OpenSSL refuses it too.
      if (equalBytes(sharedSecret, oneBytes) || equalBytes(sharedSecret, pMinus1Bytes)) {
        throw new InvalidPublicKeyError('"peerPublicKey" gives a shared secret of 1 or p − 1 (small order)');
      }
      return sharedSecret;
    },
    validatePublicKey(publicKey) {
      publicScalar(publicKey, 'publicKey');
    },
  };
  return Object.freeze(dh);
}

const tables = new WeakMap<DHGroup, FixedBaseTable>();

/**
 * The `bigint` backend: a fixed-base table for g (cached per group), a
 * sliding window for the peer's key.
 * @internal
 */
export const bigintBackend: DHBackendFactory = (group, secretKeyBits) => {
  const { p, g, byteLength } = group;
  let table = tables.get(group);
  if (table === undefined || table.maxBits < secretKeyBits) {
    table = new FixedBaseTable(g, p, secretKeyBits);
    tables.set(group, table);
  }
  const t = table;
  return {
    publicKey: (x) => bigIntToBytes(t.pow(x), byteLength),
    sharedSecret: (x, _s, y) => bigIntToBytes(modPow(y, x, p), byteLength),
  };
};

/**
 * Diffie-Hellman in a group: key generation, validation, shared secret.
 *
 * @param group - a member of `groups`, or `{ p, g, q? }` (q: the order of g; p − 1 if omitted, which disables the subgroup check)
 * @param options - `randomBytes` (default `crypto.getRandomValues`), `secretKeyBits`
 * @returns a frozen {@link DH} object
 * @throws TypeError if an argument has the wrong type; RangeError if the group or options are out of range
 * @example
 * ```ts
 * import { createDH, groups } from '@arctalk/dh';
 * const dh = createDH(groups.ffdhe2048);
 * const alice = dh.keygen();
 * const bob = dh.keygen();
 * const k1 = dh.getSharedSecret(alice.secretKey, bob.publicKey);
 * const k2 = dh.getSharedSecret(bob.secretKey, alice.publicKey); // k1 equals k2, 256 bytes
 * ```
 */
export function createDH(group: DHGroupInput, options?: DHOptions): DH {
  return createDHWith(bigintBackend, group, options);
}
