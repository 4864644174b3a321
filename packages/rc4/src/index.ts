/**
 * @arctalk/rc4: RC4 and RC4-drop[n] (test vectors: RFC 6229; prohibited in TLS by RFC 7465).
 * @module
 */
export type { RC4Options, RC4Stream } from './rc4';
export { createRC4, createRC4TransformStream, rc4 } from './rc4';
