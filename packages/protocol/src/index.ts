export { PGP_EVEN_WORDS, PGP_ODD_WORDS } from './_pgp-words';
export * from './cpace';
export * from './envelope';
export * from './errors';
export {
  DEFAULT_MAX_FRAME_LENGTH,
  type DecodeResult,
  encodeFrame,
  type Frame,
  FrameDecoder,
  type FrameDecoderOptions,
  FrameType,
  type FrameTypeName,
  frameTypeName,
  isClientToClientType,
  isKnownFrameType,
  lengths,
} from './frame';
export * from './handshake';
export * from './keys';
export * from './record';
export * from './relay';
export * from './session';
