/**
 * Internal, `"node"` entry only: the node:crypto (OpenSSL) backend of _hash.ts —
 * SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104), HKDF-SHA256 (RFC 5869: Extract is
 * one HMAC, Expand the T(1) | T(2) | … chain of §2.3). Same
 * bytes as the @noble/hashes backend (test/hash-backends.test.ts); results are
 * plain Uint8Arrays, never Buffers, except the record layer's MAC digests, which
 * are read and dropped at once. A key given to node:crypto lives in an OpenSSL
 * key object that `destroy()` can only drop, not zero (as with any copy).
 * @module
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { _HashBackend, _Mac } from './_hash';

/** A plain Uint8Array copy of a node Buffer (a Buffer may share a pooled slab). */
const plain = (buffer: Uint8Array): Uint8Array => new Uint8Array(buffer);

function hmacSha256(key: Uint8Array | KeyObject, parts: readonly Uint8Array[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The record layer's MAC: the key is imported once as an OpenSSL key object. */
class NodeMac implements _Mac {
  #key: KeyObject | undefined;
  constructor(key: Uint8Array) {
    this.#key = createSecretKey(key);
  }
  digest(...parts: Uint8Array[]): Uint8Array {
    if (this.#key === undefined) throw new Error('this MAC was destroyed');
    return hmacSha256(this.#key, parts);
  }
  destroy(): void {
    this.#key = undefined;
  }
}

/** @internal The node:crypto backend (installed by index.node.ts). */
export const _nodeHashes: _HashBackend = Object.freeze<_HashBackend>({
  name: 'node:crypto',
  sha256(parts: readonly Uint8Array[]): Uint8Array {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return plain(h.digest());
  },
  hmacSha256: (key: Uint8Array, parts: readonly Uint8Array[]) => plain(hmacSha256(key, parts)),
  keyedMac: (key: Uint8Array): _Mac => new NodeMac(key),
  hkdfExtract: (salt: Uint8Array, ikm: Uint8Array) => plain(hmacSha256(salt, [ikm])),
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    // The same argument checks as noble's expand: L ≤ 255 · HashLen.
    if (!Number.isSafeInteger(length) || length < 0 || length > 255 * 32) {
      throw new RangeError(`"length" expected 0..${255 * 32}, got ${length}`);
    }
    const out = new Uint8Array(length);
    const key = createSecretKey(prk);
    let t: Uint8Array = new Uint8Array(0);
    for (let i = 1, pos = 0; pos < length; i++) {
      t = hmacSha256(key, [t, info, Uint8Array.of(i)]);
      out.set(t.subarray(0, Math.min(32, length - pos)), pos);
      pos += 32;
    }
    t.fill(0);
    return out;
  },
});
