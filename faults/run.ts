/**
 * npm run faults [-- --quick] [-- --only=pgbouncer-kill,postgres-crash] [-- --publish] [-- --ha]
 * Starts a real stack in a temp dir, injects each fault under load, checks every answer against
 * the ledger, prints the per-fault table and writes it to faults/runs/<timestamp>/ (with
 * --publish also faults/results/latest.{md,json}; the HA suite: ha-latest). Exit status 1 when
 * any fault has a violation, 2 on bad options.
 */
import { describeRunOutput, planRunOutput, writeRunOutput } from '../bench/report/run-output.js';
import { projectRoot } from '../src/db/migrations.js';
import { FaultOptionsError, parseFaultOptions, usage, type FaultOptions } from './options.js';
import { formatResults, runFaultSuite } from './suite.js';

/** What either suite hands back for printing and writing. */
export interface SuiteRun {
  title: string;
  table: string;
  faults: number;
  violations: number;
  records: unknown[];
}

async function runMainSuite(options: FaultOptions): Promise<SuiteRun> {
  const results = await runFaultSuite({ quick: options.quick, only: options.only, log: (line) => console.log(line) });
  return {
    title: 'Fault suite results',
    table: formatResults(results),
    faults: results.length,
    violations: results.reduce((n, r) => n + r.verdict.violations.length, 0),
    records: results.map((r) => ({ fault: r.fault.name, what: r.fault.what, recoveryMs: r.recoveryMs, reads: r.reads, notes: r.notes, ...r.verdict })),
  };
}

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

const startedAt = new Date().toISOString();
const started = Date.now();
const run = options.ha ? await (await import('./ha-run.js')).runHaFaults(options) : await runMainSuite(options);
const command = `npm run faults${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
console.log(`\n${run.table}\n\n${command}: ${run.faults} fault(s) in ${Math.round((Date.now() - started) / 1000)} s`);

const output = planRunOutput({
  root: projectRoot, tool: 'faults', out: options.outDir, publish: options.publish, startedAt, ...(options.ha ? { kind: 'ha' } : {}),
});
writeRunOutput(output, {
  md: `# ${run.title}\n\n\`${command}\`, ${startedAt}\n\n${run.table}\n`,
  json: `${JSON.stringify(run.records, null, 2)}\n`,
});
console.log(`\n${describeRunOutput(output)}`);
process.exit(run.violations > 0 ? 1 : 0);
