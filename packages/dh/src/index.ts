/**
 * @arctalk/dh — finite-field Diffie-Hellman (RFC 7919, RFC 3526; custom groups
 * such as RFC 5114's) with validated public keys. This is the default,
 * browser-safe entry: the arithmetic is `bigint`. Node gets the `"node"`
 * entry (index.node.ts), same API, exponentiations in node:crypto.
 * @module
 */

export type { DH, DHGroupInput, DHOptions } from './dh.js';
export { createDH, InvalidPublicKeyError } from './dh.js';
export type { DHGroup, DHGroupName } from './groups.js';
export { groups } from './groups.js';
