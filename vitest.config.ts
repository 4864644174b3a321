import { defineConfig } from 'vitest/config';

// One root config, one vitest project per package and app (each has its own
// vitest.config.ts). `pnpm test` runs them all; `pnpm test --project rc4` runs one.
// ARCTALK_TEST_JSON=FILE also writes vitest's JSON result there (.ci/run reads it).
const json = process.env.ARCTALK_TEST_JSON;

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tests/*'],
    ...(json ? { reporters: ['default', 'json'], outputFile: { json } } : {}),
  },
});
