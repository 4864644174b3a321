import { defineProject } from 'vitest/config';
import { alias } from '../../vitest.shared';

export default defineProject({
  resolve: { alias },
  test: { name: 'protocol', include: ['test/**/*.test.ts'] },
});
