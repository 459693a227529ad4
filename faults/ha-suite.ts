/**
 * The HA fault suite (`npm run faults -- --ha`): each fault of faults/ha-scenarios.ts under load
 * on the HA stack, judged by the same client record and ledger check as the single-node suite
 * (faults/load.ts, faults/check.ts). Per fault it measures the write unavailability: from the
 * first write that failed (FAILED, PENDING, 503, no answer) to the first SUCCESS of a write begun
 * after it; and the longest gap between two SUCCESS answers.
 */
import { checkAgainstLedger, type Verdict } from './check.js';
import { checkTransfersAndHolds } from './check-transfers.js';
import { type HaFault, haFaults } from './ha-scenarios.js';
import { HaFaultStack } from './ha-stack.js';
import type { Attempt } from './attempt.js';
import { LoadDriver } from './load.js';
import { createWallets, faultLoad, formatMs, notesAndViolations, probeDeposit, resolvePending, runOneByOne } from './suite.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Failovers take longer than a single-node restart: PENDING answers get longer to resolve. */
const pendingResolveBoundMs = 60_000;

export interface HaSuiteOptions {
  quick: boolean;
  only: string[];
  log(line: string): void;
}

export interface HaFaultResult {
  fault: HaFault;
  verdict: Verdict;
  /** First failed write to the first SUCCESS of a write begun after it (0: no write failed). */
  unavailableMs: number;
  /** Longest time without any SUCCESS answer, from 1 s before the fault to the end of the load. */
  successGapMs: number;
  notes: string[];
}

const failed = (a: Attempt) => a.kind === 'FAILED' || a.kind === 'PENDING' || a.kind === 'OVERLOADED_503' || a.kind === 'NO_RESPONSE' || a.kind === 'UNEXPECTED';

export function unavailability(attempts: Attempt[], injectedAt: number): { unavailableMs: number; successGapMs: number } {
  const after = attempts.filter((a) => a.endedAt >= injectedAt);
  const firstFailure = Math.min(...after.filter(failed).map((a) => a.endedAt));
  let unavailableMs = 0;
  if (Number.isFinite(firstFailure)) {
    const recovered = Math.min(...attempts.filter((a) => a.kind === 'SUCCESS' && a.startedAt >= firstFailure).map((a) => a.endedAt));
    unavailableMs = Number.isFinite(recovered) ? recovered - firstFailure : Number.POSITIVE_INFINITY;
  }
  const successes = attempts.filter((a) => a.kind === 'SUCCESS' && a.endedAt >= injectedAt - 1000).map((a) => a.endedAt).sort((x, y) => x - y);
  let successGapMs = 0;
  for (let i = 1; i < successes.length; i++) successGapMs = Math.max(successGapMs, successes[i]! - successes[i - 1]!);
  return { unavailableMs, successGapMs };
}

export async function runHaFault(stack: HaFaultStack, fault: HaFault, quick: boolean, log: (line: string) => void): Promise<HaFaultResult> {
  const notes: string[] = [];
  const ctx = { cluster: stack.cluster, note: (line: string) => { notes.push(line); log(`    ${line}`); } };
  const [probe, ...wallets] = await createWallets(stack.liveApps()[0]!.url, quick ? 41 : 81);
  const hot = wallets.slice(0, 3);
  const driver = new LoadDriver({ apps: () => stack.liveApps().map((a) => ({ index: a.index, url: a.url })) }, faultLoad(hot, wallets.slice(3), { ratePerSecond: quick ? 100 : 200, requestTimeoutMs: 30_000, keyedAttemptsMax: 10 }));
  await driver.seed(hot, '100000.00');
  const startsBefore = stack.apps.map((a) => a.starts);
  driver.start();
  await sleep(2000);
  log(`  injecting ${fault.name}: ${fault.what}`);
  const injectedAt = performance.now();
  await fault.inject(ctx);
  await fault.heal(ctx);
  await sleep(quick ? 2000 : 4000);
  await driver.stop();
  log(`  load stopped: ${driver.requests.length} requests`);
  await resolvePending(stack, driver, pendingResolveBoundMs);

  const verdict = await checkAgainstLedger(stack.admin, driver.requests, wallets);
  verdict.violations.push(...(await checkTransfersAndHolds(stack.admin, driver.moves, wallets)).violations);
  const measured = unavailability(driver.requests.flatMap((r) => r.attempts), injectedAt);
  // The service recovers by itself: a new operation succeeds on every app, none was restarted.
  for (const app of stack.liveApps()) {
    const status = await probeDeposit(app.url, probe!, 30_000);
    if (status !== 'SUCCESS') verdict.violations.push(`app ${app.index} answered ${status} after the fault healed`);
  }
  stack.apps.forEach((app, i) => {
    if (app.exited) verdict.violations.push(`app ${i} is not running after the fault`);
    else if (app.starts !== startsBefore[i]) verdict.violations.push(`app ${i} had to be restarted`);
  });
  return { fault, verdict, ...measured, notes };
}

export async function runHaFaultSuite(options: HaSuiteOptions): Promise<HaFaultResult[]> {
  return runOneByOne({
    kind: 'HA fault', all: haFaults, only: options.only, log: options.log,
    start: () => {
      options.log('starting the HA stack (etcd, 3 Patroni nodes, HAProxy, PgBouncer, 2 app processes)');
      return HaFaultStack.start(2, (l) => options.log(`  ${l}`));
    },
    run: (stack, fault) => runHaFault(stack, fault, options.quick, options.log),
    summary: (r) => `${r.verdict.violations.length} violation(s), writes unavailable ${formatMs(r.unavailableMs)}, ` +
      `longest gap between successes ${formatMs(r.successGapMs)}`,
  });
}

export function formatHaResults(results: HaFaultResult[]): string {
  const lines = [
    '| fault | requests | attempts | SUCCESS | FAILED | PENDING (applied / absent) | 503 | no answer (applied / absent) | other | keyed retried | writes unavailable | longest gap between successes | violations |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { fault, verdict: v, unavailableMs, successGapMs } of results) {
    const o = v.outcomes;
    lines.push(`| ${fault.name} | ${v.requests} | ${v.attempts} | ${o.SUCCESS} | ${o.FAILED} | ${o.PENDING} (${v.pendingApplied} / ${v.pendingAbsent}) | ` +
      `${o.OVERLOADED_503} | ${o.NO_RESPONSE} (${v.unknownApplied} / ${v.unknownAbsent}) | ${o.UNEXPECTED + o.REJECTED_400} | ${v.keyedRetried} | ` +
      `${formatMs(unavailableMs)} | ${formatMs(successGapMs)} | ${v.violations.length} |`);
  }
  return [...lines, ...notesAndViolations(results)].join('\n');
}
