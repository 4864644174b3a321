export { rc4 } from './rc4';
