/**
 * `npm run faults -- --ha [--quick] [--only=primary-node-kill,switchover]` (or `tsx faults/ha-run.ts`):
 * the HA fault suite. Prints the per-fault table and writes faults/results/ha-latest.{md,json}.
 * Exit status 1 when any fault has a violation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/db/migrations.js';
import { formatHaResults, runHaFaultSuite } from './ha-suite.js';

export async function runHaFaultsCli(args: string[]): Promise<number> {
  const quick = args.includes('--quick');
  const only = args.filter((a) => a.startsWith('--only=')).flatMap((a) => a.slice('--only='.length).split(',')).filter(Boolean);
  const started = Date.now();
  const results = await runHaFaultSuite({ quick, only, log: (line) => console.log(line) });
  const table = formatHaResults(results);
  const command = `npm run faults -- ${['--ha', ...args.filter((a) => a !== '--ha')].join(' ')}`;
  console.log(`\n${table}\n\n${command}: ${results.length} fault(s) in ${Math.round((Date.now() - started) / 1000)} s`);
  const dir = join(projectRoot, 'faults', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ha-latest.md'), `# HA fault suite results\n\n\`${command}\`, ${new Date().toISOString()}\n\n${table}\n`);
  writeFileSync(join(dir, 'ha-latest.json'), JSON.stringify(results.map((r) => ({
    fault: r.fault.name, what: r.fault.what, unavailableMs: Number.isFinite(r.unavailableMs) ? Math.round(r.unavailableMs) : null,
    successGapMs: Math.round(r.successGapMs), notes: r.notes, ...r.verdict,
  })), null, 2));
  return results.reduce((n, r) => n + r.verdict.violations.length, 0) > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await runHaFaultsCli(process.argv.slice(2)));
