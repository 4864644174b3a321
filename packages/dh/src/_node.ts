/**
 * The node:crypto backend of the `"node"` entry: the two exponentiations run
 * in OpenSSL (`createDiffieHellman(p, g)`, `setPrivateKey`, `generateKeys` /
 * `computeSecret`). Validation stays in dh.ts and runs first: node's
 * `computeSecret` accepts keys this package rejects (it reduces y ≥ p mod p).
 * @module
 */
import { createDiffieHellman, type DiffieHellman } from 'node:crypto';
import { bigIntToBytes } from './_bytes.js';
import { bigintBackend, type DHBackendFactory } from './dh.js';

/** OpenSSL 3 refuses DH moduli under 512 bits (DH_MIN_MODULUS_BITS). */
const MIN_OPENSSL_BITS = 512;

/** Copies a Buffer into a plain Uint8Array of exactly `length` bytes, left-padded. */
function toFixed(buffer: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(
    buffer.length > length ? buffer.subarray(buffer.length - length) : buffer,
    length - Math.min(length, buffer.length),
  );
  return out;
}

/** @internal */
export const nodeBackend: DHBackendFactory = (group, secretKeyBits) => {
  if (group.bits < MIN_OPENSSL_BITS) return bigintBackend(group, secretKeyBits);
  const { byteLength } = group;
  const prime = bigIntToBytes(group.p, byteLength);
  const generator = bigIntToBytes(group.g, Math.ceil(group.g.toString(16).length / 2));
  let dh: DiffieHellman | undefined;
  const ctx = (secretKey: Uint8Array): DiffieHellman => {
    dh ??= createDiffieHellman(prime, generator);
    dh.setPrivateKey(secretKey);
    return dh;
  };
  return {
    publicKey(_x, secretKey) {
      const d = ctx(secretKey);
      d.generateKeys(); // with a private key set, this computes g^x mod p
      return toFixed(d.getPublicKey(), byteLength);
    },
    sharedSecret(_x, secretKey, _y, peerPublicKey) {
      return toFixed(ctx(secretKey).computeSecret(peerPublicKey), byteLength);
    },
  };
};
