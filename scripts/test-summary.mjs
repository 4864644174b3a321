// Prints vitest's own counts as one plain line, "N passed, N failed", and exits
// non-zero when a test failed, none ran, or the result file is missing.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-results.json';
let result;
try {
  result = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`test-summary: cannot read ${file}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = result.numPassedTests ?? 0;
const failed = (result.numFailedTests ?? 0) + (result.numFailedTestSuites ?? 0);
const skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 || result.success === false ? 1 : 0);
