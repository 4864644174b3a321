import { defineProject } from 'vitest/config';
import { alias } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias },
  test: { name: 'docs', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
