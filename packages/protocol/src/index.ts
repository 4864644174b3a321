export { PGP_EVEN_WORDS, PGP_ODD_WORDS } from './_pgp-words';
export * from './cpace';
export * from './errors';
export * from './frame';
export * from './keys';
export * from './messages';
export * from './relay';
export * from './session';
