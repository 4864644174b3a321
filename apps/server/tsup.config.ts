import { defineConfig } from 'tsup';

// One self-contained ESM file for the `arctalk-server` bin. @arctalk/* is bundled
// from source (tsconfig `paths`), so the app runs with plain `node` and needs no
// built library; pino, commander, ioredis and ws stay ordinary runtime dependencies.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  dts: false,
  splitting: false,
  noExternal: [/^@arctalk\//],
  external: ['pino', 'commander', 'ioredis', 'ws'],
  banner: { js: '#!/usr/bin/env node' },
});
