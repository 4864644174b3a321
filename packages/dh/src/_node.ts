/**
 * The node:crypto backend of the `"node"` entry: the two exponentiations run
 * in OpenSSL (`createDiffieHellman(p, g)`, `setPrivateKey`, `generateKeys` /
 * `computeSecret`). Validation stays in dh.ts and runs first: node's
 * `computeSecret` accepts keys this package rejects (it reduces y ≥ p mod p).
 * Where OpenSSL refuses (a modulus under 512 or over 10000 bits, or a shared
 * secret of 1 or p − 1, which dh.ts then rejects in both entries alike), the
 * `bigint` backend computes the same value, so both entries behave the same.
 * @module
 */
import { createDiffieHellman, type DiffieHellman } from 'node:crypto';
import { bigIntToBytes } from './_bytes.js';
import {
  bigintBackend,
  createDHWith,
  type DH,
  type DHBackend,
  type DHBackendFactory,
  type DHGroupInput,
  type DHOptions,
} from './dh.js';

/** OpenSSL 3 refuses DH moduli under 512 bits (DH_MIN_MODULUS_BITS)… */
const MIN_OPENSSL_BITS = 512;
/** …and over 10000 bits (OPENSSL_DH_MAX_MODULUS_BITS). */
const MAX_OPENSSL_BITS = 10000;

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
  if (group.bits < MIN_OPENSSL_BITS || group.bits > MAX_OPENSSL_BITS)
    return bigintBackend(group, secretKeyBits);
  let fallback: DHBackend | undefined;
  const pure = (): DHBackend => (fallback ??= bigintBackend(group, secretKeyBits));
  const { byteLength } = group;
  const prime = bigIntToBytes(group.p, byteLength);
  const generator = bigIntToBytes(group.g, Math.ceil(group.g.toString(16).length / 2));
  let dh: DiffieHellman | undefined;
  const ctx = (secretKey: Uint8Array): DiffieHellman => {
    dh ??= createDiffieHellman(prime, generator);
    dh.setPrivateKey(secretKey);
    return dh;
  };
  // The arguments are validated: if OpenSSL still refuses, the bigint backend answers.
  return {
    publicKey(x, secretKey) {
      try {
        const d = ctx(secretKey);
        d.generateKeys(); // with a private key set, this computes g^x mod p
        return toFixed(d.getPublicKey(), byteLength);
      } catch {
        return pure().publicKey(x, secretKey);
      }
    },
    sharedSecret(x, secretKey, y, peerPublicKey) {
      try {
        return toFixed(ctx(secretKey).computeSecret(peerPublicKey), byteLength);
      } catch {
        // e.g. a result of 1 or p − 1 (OpenSSL: "Invalid key type"), which dh.ts then rejects
        return pure().sharedSecret(x, secretKey, y, peerPublicKey);
      }
    },
  };
};

/**
 * Diffie-Hellman in a group: key generation, validation, shared secret, with
 * the exponentiations in node:crypto (groups under 512 bits, which OpenSSL
 * refuses, fall back to `bigint`).
 *
 * @param group - a member of `groups`, or `{ p, g, q? }` (q: the order of g; p − 1 if omitted, which disables the subgroup check)
 * @param options - `randomBytes` (default `crypto.getRandomValues`), `secretKeyBits`
 * @returns a frozen {@link DH} object
 * @throws TypeError if an argument has the wrong type; RangeError if the group or options are out of range
 * @example
 * ```ts
 * import { createDH, groups } from '@arctalk/dh'; // resolves here under Node
 * const dh = createDH(groups.ffdhe2048);
 * const alice = dh.keygen();
 * const bob = dh.keygen();
 * const k1 = dh.getSharedSecret(alice.secretKey, bob.publicKey);
 * const k2 = dh.getSharedSecret(bob.secretKey, alice.publicKey); // k1 equals k2, 256 bytes
 * ```
 */
export function createDH(group: DHGroupInput, options?: DHOptions): DH {
  return createDHWith(nodeBackend, group, options);
}
