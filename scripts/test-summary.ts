// Prints vitest's JSON report as one plain closing line, "tests: N passed, N failed, N skipped",
// which CI reads (vitest's own "Tests 495 passed | 1 skipped" summary is not a line it knows).
// A test file that failed to load has no failed test of its own, so it counts as one failure. A test
// that passed on its retry (vitest.config.ts retries a timed-out test once) is named above that line.
import { readFileSync } from 'node:fs';

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: {
    status: string;
    assertionResults: { status: string; fullName: string; failureMessages: string[] | null }[];
  }[];
}

const path = process.argv[2];
if (!path) {
  console.error('usage: tsx scripts/test-summary.ts <vitest-json-report>');
  process.exit(2);
}
const report = JSON.parse(readFileSync(path, 'utf8')) as VitestJsonReport;
const filesThatFailedToRun = report.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
).length;
const failed = report.numFailedTests + filesThatFailedToRun;
const skipped = report.numPendingTests + report.numTodoTests;
// vitest keeps the errors of earlier attempts on a test that passed on a retry.
const passedOnRetry = report.testResults.flatMap((file) =>
  file.assertionResults.filter((test) => test.status === 'passed' && (test.failureMessages?.length ?? 0) > 0),
);
for (const test of passedOnRetry) console.log(`passed on retry after a timeout: ${test.fullName}`);
console.log(`tests: ${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
