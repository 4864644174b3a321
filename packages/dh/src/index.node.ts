/**
 * @arctalk/dh, `"node"` entry: the same API as the default entry, with the
 * modular exponentiations done by node:crypto (OpenSSL). Public keys are
 * validated first, exactly as in the default entry, and both entries return
 * byte-identical results.
 * @module
 */
export { createDH } from './_node.js';
export type { DH, DHGroupInput, DHOptions } from './dh.js';
export { InvalidPublicKeyError } from './dh.js';
export type { DHGroup, DHGroupName } from './groups.js';
export { groups } from './groups.js';
