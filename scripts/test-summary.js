#!/usr/bin/env node
// Prints the plain closing line CI reads ("N passed, N failed, N skipped") from Vitest's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.ci/vitest-report.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`0 passed, 1 failed`);
  console.error(`no test report at ${file}: ${e.message}`);
  process.exit(1);
}
// A file that failed without a failing test (it did not load, or a hook threw) counts once; a file
// with failing tests is already counted by them (numFailedTestSuites also counts their describes).
const brokenFiles = (report.testResults ?? []).filter((r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed')).length;
const failed = report.numFailedTests + brokenFiles;
console.log(`${report.numPassedTests} passed, ${failed} failed, ${report.numPendingTests + (report.numTodoTests ?? 0)} skipped`);
process.exit(failed > 0 || report.numTotalTests === 0 ? 1 : 0);
