import { defineProject } from 'vitest/config';

export default defineProject({
  // Builds, packs and installs from the registry: minutes on a slow network or a loaded machine.
  test: { name: 'install', include: ['test/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 },
});
