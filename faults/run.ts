/**
 * npm run faults [-- --quick] [-- --only=pgbouncer-kill,postgres-crash] [-- --publish] [-- --ha]
 * Starts a real stack in a temp dir, injects each fault under load, checks every answer against
 * the ledger, prints the per-fault table and writes it to faults/runs/<timestamp>/ (with
 * --publish also faults/results/latest.{md,json}; the HA suite: ha-latest). Exit status 1 when
 * any fault has a violation, 2 on bad options.
 */
import { describeRunOutput, planRunOutput, writeRunOutput } from '../bench/report/run-output.js';
import { projectRoot } from '../src/db/migrations.js';
import { OptionsError } from '../bench/options.js';
import { parseFaultOptions, usage, type FaultOptions } from './options.js';
import { formatHaResults, runHaFaultSuite } from './ha-suite.js';
import { formatResults, runFaultSuite } from './suite.js';

/** What either suite hands back for printing and writing. */
interface SuiteRun {
  title: string;
  table: string;
  faults: number;
  violations: number;
  records: unknown[];
}

function suiteRun<R extends { verdict: { violations: string[] } }>(
  title: string, results: R[], format: (results: R[]) => string, record: (result: R) => unknown,
): SuiteRun {
  return {
    title, table: format(results), faults: results.length,
    violations: results.reduce((n, r) => n + r.verdict.violations.length, 0), records: results.map(record),
  };
}

async function runSuite(options: FaultOptions): Promise<SuiteRun> {
  const suite = { quick: options.quick, only: options.only, log: (line: string) => console.log(line) };
  if (options.ha) {
    return suiteRun('HA fault suite results', await runHaFaultSuite(suite), formatHaResults, (r) => ({
      fault: r.fault.name, what: r.fault.what, unavailableMs: Number.isFinite(r.unavailableMs) ? Math.round(r.unavailableMs) : null,
      successGapMs: Math.round(r.successGapMs), notes: r.notes, ...r.verdict,
    }));
  }
  return suiteRun('Fault suite results', await runFaultSuite(suite), formatResults, (r) => ({
    fault: r.fault.name, what: r.fault.what, recoveryMs: r.recoveryMs, reads: r.reads, notes: r.notes, transfersAndHolds: r.moves, ...r.verdict,
  }));
}

const args = process.argv.slice(2);
let options: FaultOptions;
try {
  options = parseFaultOptions(args);
} catch (error) {
  if (!(error instanceof OptionsError)) throw error;
  console.error(`${error.message}\n\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}

const startedAt = new Date().toISOString();
const started = Date.now();
const run = await runSuite(options);
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
