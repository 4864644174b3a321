/**
 * @arctalk/dh, `"node"` entry: the same API as the default entry, with the
 * modular exponentiations done by node:crypto (OpenSSL). Public keys are
 * validated here first, exactly as in the default entry, and both entries
 * return byte-identical results.
 * @module
 */
import { nodeBackend } from './_node.js';
import { createDHWith, type DH, type DHGroupInput, type DHOptions } from './dh.js';

export type { DH, DHGroupInput, DHOptions } from './dh.js';
export { InvalidPublicKeyError } from './dh.js';
export type { DHGroup, DHGroupName } from './groups.js';
export { groups } from './groups.js';

/**
 * Diffie-Hellman in a group: key generation, validation, shared secret, with
 * the exponentiations in node:crypto (groups under 512 bits, which OpenSSL
 * refuses, fall back to `bigint`).
 *
 * @param group - a member of {@link groups}, or `{ p, g, q? }` (q: the order of g; p − 1 if omitted, which disables the subgroup check)
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
