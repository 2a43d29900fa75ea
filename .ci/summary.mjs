// Prints "N passed, N failed, N skipped" from vitest's JSON reporter output (.vitest/results.json).
// A test file that fails to load has no failed test but a failed suite: it counts as one failure.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest/results.json';
let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no test results at ${file}: ${error instanceof Error ? error.message : String(error)}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = results.numPassedTests ?? 0;
const failedTests = results.numFailedTests ?? 0;
const brokenFiles = (results.testResults ?? []).filter(
  (suite) =>
    suite.status === 'failed' && (suite.assertionResults ?? []).every((test) => test.status !== 'failed'),
).length;
const failed = failedTests + brokenFiles;
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
