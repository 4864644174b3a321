export * from './errors';
export * from './frame';
export * from './keys';
export * from './messages';
export * from './relay';
export * from './session';
