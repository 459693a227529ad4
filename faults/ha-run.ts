/**
 * `npm run faults -- --ha [--quick] [--only=primary-node-kill,switchover]`: the HA fault suite
 * (ha-suite.ts), run and reported by run.ts like the fault suite (faults/runs/<timestamp>-ha/,
 * with --publish also faults/results/ha-latest.{md,json}).
 */
import type { FaultOptions } from './options.js';
import type { SuiteRun } from './run.js';
import { formatHaResults, runHaFaultSuite } from './ha-suite.js';

export async function runHaFaults(options: FaultOptions): Promise<SuiteRun> {
  const results = await runHaFaultSuite({ quick: options.quick, only: options.only, log: (line) => console.log(line) });
  return {
    title: 'HA fault suite results',
    table: formatHaResults(results),
    faults: results.length,
    violations: results.reduce((n, r) => n + r.verdict.violations.length, 0),
    records: results.map((r) => ({
      fault: r.fault.name, what: r.fault.what, unavailableMs: Number.isFinite(r.unavailableMs) ? Math.round(r.unavailableMs) : null,
      successGapMs: Math.round(r.successGapMs), notes: r.notes, ...r.verdict,
    })),
  };
}
