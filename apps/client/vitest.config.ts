import { defineProject } from 'vitest/config';
import { alias } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias },
  test: {
    name: 'client',
    include: ['test/**/*.test.{ts,tsx}'],
    // The e2e and pty suites start real processes; a loaded CI machine needs headroom.
    testTimeout: 40_000,
    hookTimeout: 60_000,
  },
});
