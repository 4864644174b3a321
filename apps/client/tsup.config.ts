import { defineConfig } from 'tsup';

// The `arctalk` executable. The @arctalk/* workspace libraries are bundled in from
// source (tsconfig `paths`), so the packed app depends only on registry packages
// (commander, ink, react). Code splitting keeps the start-up path small: the
// terminal UI (tty-mode, Ink, React) is a chunk of its own, loaded by a dynamic
// import only when it is drawn; --version and pipe mode never load it.
export default defineConfig({
  entry: { cli: 'src/cli.tsx' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
  dts: false,
  splitting: true,
  banner: { js: '#!/usr/bin/env node' },
  external: ['ink', 'react', 'react/jsx-runtime', 'commander'],
  noExternal: [/^@arctalk\//],
});
