import { defineConfig } from 'tsup';

// One executable: the @arctalk/* workspace sources are bundled in (resolved via
// tsconfig paths), the npm dependencies stay external.
export default defineConfig({
  entry: { cli: 'src/cli.tsx' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
  dts: false,
  splitting: false,
  banner: { js: '#!/usr/bin/env node' },
  external: ['ink', 'react', 'react/jsx-runtime', 'commander'],
  noExternal: [/^@arctalk\//],
});
