/**
 * npm run faults [-- --quick] [-- --only=pgbouncer-kill,postgres-crash]
 * Starts a real stack in a temp dir, injects each fault under load, checks every answer against
 * the ledger, prints the per-fault table and writes it to faults/results/latest.{md,json}.
 * Exit status 1 when any fault has a violation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/db/migrations.js';
import { formatResults, runFaultSuite } from './suite.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => a.startsWith('--only=')).flatMap((a) => a.slice('--only='.length).split(',')).filter(Boolean);

const started = Date.now();
const results = await runFaultSuite({ quick, only, log: (line) => console.log(line) });
const table = formatResults(results);
const command = `npm run faults${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
console.log(`\n${table}\n\n${command}: ${results.length} fault(s) in ${Math.round((Date.now() - started) / 1000)} s`);

const dir = join(projectRoot, 'faults', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.md'), `# Fault suite results\n\n\`${command}\`, ${new Date().toISOString()}\n\n${table}\n`);
writeFileSync(join(dir, 'latest.json'), JSON.stringify(results.map((r) => ({
  fault: r.fault.name, what: r.fault.what, recoveryMs: r.recoveryMs, reads: r.reads, notes: r.notes, ...r.verdict,
})), null, 2));
const violations = results.reduce((n, r) => n + r.verdict.violations.length, 0);
process.exit(violations > 0 ? 1 : 0);
