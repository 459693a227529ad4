// Sums the Vitest JSON reports in a folder and prints the one line CI reads: "N passed, N failed".
// A failed typecheck/lint (exit status passed as argv[3]) counts as one failed check.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.ci/results';
const otherFailures = Number(process.argv[3] ?? 0) > 0;
let passed = 0;
let failed = 0;
let reports = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  reports++;
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  if (!report.success && (report.numFailedTests ?? 0) === 0) failed += 1; // a suite that failed to load or run
  console.log(`${file}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
if (reports === 0) failed += 1;
if (otherFailures && failed === 0) failed += 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
