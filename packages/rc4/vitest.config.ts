import { defineProject } from 'vitest/config';
import { alias } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias },
  test: {
    name: 'rc4',
    include: ['test/**/*.test.ts'],
    // Whole handshakes and property runs: slow on a loaded 2-core machine, never hung.
    testTimeout: 30_000,
  },
});
