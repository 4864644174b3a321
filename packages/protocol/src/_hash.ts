/**
 * Internal: every SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104), HKDF-SHA256
 * (RFC 5869) call of the protocol goes through this module,
 * so that one place decides which implementation runs. The default, in every
 * runtime, is @noble/hashes (pure JS). The package's `"node"` entry
 * (index.node.ts) installs the node:crypto (OpenSSL) backend of _hash-node.ts at
 * load; both give the same bytes (test/hash-backends.test.ts). Not part of the
 * public API.
 * @module
 */
import { expand, extract } from '@noble/hashes/hkdf';
import { hmac } from '@noble/hashes/hmac';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';

/** @internal A keyed HMAC-SHA256: the key is set once, then one digest per message. */
export interface _Mac {
  /** HMAC-SHA256(key, concatenation of `parts`), 32 bytes (possibly a view: read it, don't keep it). */
  digest(...parts: Uint8Array[]): Uint8Array;
  /** Drops the keyed state; later calls throw. */
  destroy(): void;
}

/** @internal One implementation of the hash functions the protocol uses. */
export interface _HashBackend {
  /** "noble" or "node:crypto" */
  readonly name: string;
  sha256(parts: readonly Uint8Array[]): Uint8Array;
  hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  keyedMac(key: Uint8Array): _Mac;
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
}

/** noble's keyed HMAC: the key blocks are hashed once and the state cloned per message. */
class NobleMac implements _Mac {
  readonly #base: ReturnType<typeof hmac.create>;
  constructor(key: Uint8Array) {
    this.#base = hmac.create(nobleSha256, key);
  }
  digest(...parts: Uint8Array[]): Uint8Array {
    const h = this.#base.clone();
    for (const p of parts) h.update(p);
    return h.digest();
  }
  destroy(): void {
    this.#base.destroy();
  }
}

/** @internal The default backend: @noble/hashes, pure JS, any runtime. */
export const _nobleHashes: _HashBackend = Object.freeze<_HashBackend>({
  name: 'noble',
  sha256(parts: readonly Uint8Array[]): Uint8Array {
    const h = nobleSha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
    const h = hmac.create(nobleSha256, key);
    for (const p of parts) h.update(p);
    return h.digest();
  },
  keyedMac: (key: Uint8Array): _Mac => new NobleMac(key),
  hkdfExtract: (salt: Uint8Array, ikm: Uint8Array) => extract(nobleSha256, ikm, salt),
  hkdfExpand: (prk: Uint8Array, info: Uint8Array, length: number) => expand(nobleSha256, prk, info, length),
});

let backend: _HashBackend = _nobleHashes;

/**
 * @internal Chooses the implementation for every later call (index.node.ts calls it
 * once, at load). Both backends give the same bytes, so a process that loads both
 * entries computes the same results either way.
 */
export function _useHashBackend(next: _HashBackend): void {
  backend = next;
}

/** @internal The backend in use ("noble" or "node:crypto"). */
export function _hashBackend(): _HashBackend {
  return backend;
}

/** @internal SHA-256 of the concatenation of `parts`. */
export function _sha256(...parts: Uint8Array[]): Uint8Array {
  return backend.sha256(parts);
}

/** @internal HMAC-SHA256(key, concatenation of `parts`), 32 bytes. */
export function _hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return backend.hmacSha256(key, parts);
}

/** @internal HKDF-Extract(salt, IKM) with SHA-256: the 32-byte PRK. */
export function _hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return backend.hkdfExtract(salt, ikm);
}

/** @internal HKDF-Expand(PRK, info, L) with SHA-256. */
export function _hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return backend.hkdfExpand(prk, info, length);
}

/**
 * @internal A keyed HMAC-SHA256 (the record layer tags every DATA and END with one
 * key), from the backend in use when it is created.
 */
export function _keyedMac(key: Uint8Array): _Mac {
  return backend.keyedMac(key);
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
