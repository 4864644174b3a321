import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the browser-safe default entry (@noble/hashes); index.node: the "node"
  // export condition (SHA-256, HMAC, HKDF and scrypt from node:crypto).
  entry: ['src/index.ts', 'src/index.node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['node:crypto'],
  removeNodeProtocol: false,
});
