import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// One self-contained ESM file for the `arctalk-server` bin. @arctalk/* is bundled
// from source (tsconfig `paths`), so the app runs with plain `node` and needs no
// built library; pino, commander, ioredis and ws stay ordinary runtime dependencies.
// `--web` serves apps/web's one-file page, copied beside the bundle (dist/web/),
// so that it ships in the npm package (@arctalk/web is a devDependency: `pnpm -r
// build` builds it first; a build of this app alone builds the page when it is missing).
const page = '../web/dist/index.html';

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
  async onSuccess() {
    if (!existsSync(page)) {
      execFileSync(process.execPath, ['--import', 'tsx', 'build.ts'], { cwd: '../web', stdio: 'inherit' });
    }
    mkdirSync('dist/web', { recursive: true });
    copyFileSync(page, 'dist/web/index.html');
  },
});
