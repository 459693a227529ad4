/**
 * npm run faults [-- --quick] [-- --only=pgbouncer-kill,postgres-crash] [-- --publish]
 * Starts a real stack in a temp dir, injects each fault under load, checks every answer against
 * the ledger, prints the per-fault table and writes it to faults/runs/<timestamp>/ (with
 * --publish also faults/results/latest.{md,json}). Exit status 1 when any fault has a violation.
 */
import { describeRunOutput, planRunOutput, writeRunOutput } from '../bench/report/run-output.js';
import { projectRoot } from '../src/db/migrations.js';
import { FaultOptionsError, parseFaultOptions, usage, type FaultOptions } from './options.js';
import { formatResults, runFaultSuite } from './suite.js';

const args = process.argv.slice(2);
let options: FaultOptions;
try {
  options = parseFaultOptions(args);
} catch (error) {
  if (!(error instanceof FaultOptionsError)) throw error;
  console.error(`${error.message}\n\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}
if (options.ha) {
  const { runHaFaultsCli } = await import('./ha-run.js');
  process.exit(await runHaFaultsCli(args.filter((a) => a !== '--ha')));
}

const startedAt = new Date().toISOString();
const started = Date.now();
const results = await runFaultSuite({ quick: options.quick, only: options.only, log: (line) => console.log(line) });
const table = formatResults(results);
const command = `npm run faults${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
console.log(`\n${table}\n\n${command}: ${results.length} fault(s) in ${Math.round((Date.now() - started) / 1000)} s`);

const output = planRunOutput({ root: projectRoot, tool: 'faults', out: options.outDir, publish: options.publish, startedAt });
writeRunOutput(output, {
  md: `# Fault suite results\n\n\`${command}\`, ${startedAt}\n\n${table}\n`,
  json: `${JSON.stringify(results.map((r) => ({
    fault: r.fault.name, what: r.fault.what, recoveryMs: r.recoveryMs, reads: r.reads, notes: r.notes, ...r.verdict,
  })), null, 2)}\n`,
});
console.log(`\n${describeRunOutput(output)}`);
const violations = results.reduce((n, r) => n + r.verdict.violations.length, 0);
process.exit(violations > 0 ? 1 : 0);
