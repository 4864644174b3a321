import { defineConfig } from 'vitest/config';

// One root config, one vitest project per package and app (each has its own
// vitest.config.ts). `pnpm test` runs them all; `pnpm test --project rc4` runs one.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tests/*'],
  },
});
