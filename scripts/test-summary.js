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
const failed = report.numFailedTests + (report.numFailedTestSuites ?? 0);
console.log(`${report.numPassedTests} passed, ${failed} failed, ${report.numPendingTests + (report.numTodoTests ?? 0)} skipped`);
process.exit(failed > 0 || report.numTotalTests === 0 ? 1 : 0);
