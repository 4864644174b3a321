import { fileURLToPath } from 'node:url';

/**
 * Aliases every `@arctalk/*` library to its TypeScript source, so that tests
 * run without a build (as wagmi does). Each project's vitest.config.ts spreads it.
 */
const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export const alias = {
  '@arctalk/rc4': pkg('rc4'),
  '@arctalk/dh': pkg('dh'),
  '@arctalk/protocol': pkg('protocol'),
};
