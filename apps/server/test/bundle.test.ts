/**
 * The built `arctalk-server` bundles @arctalk/protocol's `"node"` entry (hashes from
 * node:crypto), as tsup.config.ts does it: esbuild with this app's tsconfig `paths`.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('bundles the node entry of @arctalk/protocol and @arctalk/dh', async () => {
  const dir = fileURLToPath(new URL('..', import.meta.url));
  const result = await build({
    absWorkingDir: dir,
    entryPoints: ['src/cli.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    tsconfig: 'tsconfig.json',
    external: ['pino', 'commander', 'ioredis', 'ws'],
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs).toContain('../../packages/protocol/src/index.node.ts');
  expect(inputs).toContain('../../packages/protocol/src/_hash-node.ts');
  expect(inputs).toContain('../../packages/dh/src/index.node.ts');
  // and the entry's one statement, which installs the backend, is kept (package.json "sideEffects")
  expect(result.outputFiles[0]?.text).toMatch(/_useHashBackend\(_nodeHashes\);/);
});
