export type { RC4Options, RC4Stream } from './rc4';
export { createRC4, createRC4TransformStream, rc4 } from './rc4';
