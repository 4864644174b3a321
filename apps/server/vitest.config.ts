import { defineProject } from 'vitest/config';
import { alias } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias },
  test: {
    name: 'server',
    include: ['test/**/*.test.{ts,tsx}'],
    // Real sockets, child processes and DH handshakes: generous on a loaded CI machine.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
