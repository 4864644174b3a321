/**
 * Internal: every SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104), HKDF-SHA256
 * (RFC 5869) and scrypt (RFC 7914) call of the protocol goes through this module,
 * so that one place decides which implementation runs (today @noble/hashes; a
 * `node:crypto` fast path can replace it behind a `"node"` export condition).
 * Not part of the public API.
 * @module
 */
import { expand, extract } from '@noble/hashes/hkdf';
import { hmac } from '@noble/hashes/hmac';
import { scrypt as nobleScrypt } from '@noble/hashes/scrypt';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';

/** @internal SHA-256 of the concatenation of `parts`. */
export function _sha256(...parts: Uint8Array[]): Uint8Array {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** @internal HMAC-SHA256(key, concatenation of `parts`), 32 bytes. */
export function _hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = hmac.create(nobleSha256, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** @internal HKDF-Extract(salt, IKM) with SHA-256: the 32-byte PRK. */
export function _hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(nobleSha256, ikm, salt);
}

/** @internal HKDF-Expand(PRK, info, L) with SHA-256. */
export function _hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return expand(nobleSha256, prk, info, length);
}

/** @internal scrypt(P, S, N, r, p, dkLen). */
export function _scrypt(
  password: Uint8Array,
  salt: Uint8Array,
  params: { N: number; r: number; p: number; dkLen: number },
): Uint8Array {
  return nobleScrypt(password, salt, params);
}

/**
 * @internal A keyed HMAC-SHA256 whose key blocks are hashed once and cloned per
 * message (the record layer tags every DATA and END with one key).
 */
export class _KeyedMac {
  readonly #base: ReturnType<typeof hmac.create>;
  constructor(key: Uint8Array) {
    this.#base = hmac.create(nobleSha256, key);
  }
  /** HMAC-SHA256(key, concatenation of `parts`), 32 bytes. */
  digest(...parts: Uint8Array[]): Uint8Array {
    const h = this.#base.clone();
    for (const p of parts) h.update(p);
    return h.digest();
  }
  /** Zeroes the keyed state; later calls throw. */
  destroy(): void {
    this.#base.destroy();
  }
}

/**
 * @internal Constant-time equality of two byte strings (the length itself is not
 * secret: unequal lengths return false at once).
 */
export function _equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
