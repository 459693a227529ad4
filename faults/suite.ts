/**
 * One fault run: fresh wallets, load before / during / after the fault, the recovery time
 * measured on every live app, PENDING answers resolved through the API, then the verdict against
 * the ledger. runFaultSuite runs the chosen faults one at a time on one stack.
 */
import { randomUUID } from 'node:crypto';
import { reconcile } from '../src/reconcile/reconcile.js';
import { checkAgainstLedger, type Verdict } from './check.js';
import { checkTransfersAndHolds, formatMoveTable, type MoveFigures } from './check-transfers.js';
import { LoadDriver, type LoadOptions } from './load.js';
import { type Fault, faults } from './scenarios.js';
import { FaultStack } from './stack.js';
import { resolveMovesPending } from './transfer-hold-load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SuiteOptions {
  quick: boolean;
  /** Fault names to run (all when empty). */
  only: string[];
  log(line: string): void;
}

export interface FaultResult {
  fault: Fault;
  verdict: Verdict;
  recoveryMs: number;
  reads: { total: number; unavailable: number };
  notes: string[];
  /** Transfers and holds (faults/check-transfers.ts); their violations are in the verdict's. */
  moves: MoveFigures;
}

/** After a fault ends, every live app must complete an operation again within this bound. */
export const recoveryBoundMs = 30_000;
const pendingResolveBoundMs = 30_000;
/** READ_BUDGET_MS (5 s) plus one query that hangs up to the client-side query timeout (6 s), with slack. */
export const readBoundMs = 15_000;

/**
 * The suites' load: half of it on 3 hot wallets, half keyed, 10 % reads; of the rest 15 % transfers
 * to another of the run's wallets, 10 % hold flows, and the others 60 % deposits; rates and bounds per suite.
 */
export function faultLoad(hot: string[], cold: string[], bounds: Pick<LoadOptions, 'ratePerSecond' | 'requestTimeoutMs' | 'keyedAttemptsMax'>): LoadOptions {
  return { hotWallets: hot, coldWallets: cold, hotShare: 0.5, keyedShare: 0.5, depositShare: 0.6, concurrency: 32, readShare: 0.1,
    moves: { transferShare: 0.15, holdShare: 0.1 }, ...bounds };
}

export async function createWallets(url: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < n) {
    const res = await fetch(`${url}/api/v1/wallets/`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`creating wallets: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

/** A keyed 0.01 deposit on the probe wallet: the operation status, or "no answer". */
export async function probeDeposit(appUrl: string, probeWallet: string, timeoutMs: number): Promise<string> {
  try {
    const res = await fetch(`${appUrl}/api/v1/wallets/${probeWallet}/operation`, {
      method: 'POST', signal: AbortSignal.timeout(timeoutMs),
      headers: { 'content-type': 'application/json', 'idempotency-key': `probe-${randomUUID()}` },
      body: JSON.stringify({ operation_type: 'DEPOSIT', amount: '0.01' }),
    });
    const body = (await res.json()) as { status?: string };
    return res.status === 200 ? String(body.status) : `${res.status}`;
  } catch {
    return 'no answer';
  }
}

/** Time until every live app has completed a probe operation (a keyed 0.01 deposit on the probe wallet). */
async function measureRecovery(stack: FaultStack, probeWallet: string, since: number): Promise<number> {
  const apps = stack.liveApps();
  const times = await Promise.all(apps.map(async (app) => {
    for (;;) {
      if (await probeDeposit(app.url, probeWallet, recoveryBoundMs) === 'SUCCESS') return performance.now() - since;
      if (performance.now() - since > recoveryBoundMs * 2) return Number.POSITIVE_INFINITY;
      await sleep(50);
    }
  }));
  return Math.max(0, ...times);
}

/** GET /operations/{id} for every PENDING answer until it says 200 (applied) or 404 (not). */
export async function resolvePending(stack: { liveApps(): Array<{ url: string }> }, driver: LoadDriver, boundMs: number): Promise<void> {
  const deadline = performance.now() + boundMs;
  for (const r of driver.requests) {
    for (const a of r.attempts.filter((x) => x.kind === 'PENDING')) {
      a.resolved = 'UNRESOLVED';
      while (a.resolved === 'UNRESOLVED' && performance.now() < deadline) {
        const app = stack.liveApps()[0];
        try {
          const res = await fetch(`${app!.url}/api/v1/wallets/${r.walletId}/operations/${a.operationId}`, { signal: AbortSignal.timeout(10_000) });
          if (res.status === 404) a.resolved = 'ABSENT';
          else if (res.status === 200) a.resolved = ((await res.json()) as { status: 'SUCCESS' | 'REJECTED' }).status;
        } catch { /* retry */ }
        if (a.resolved === 'UNRESOLVED') await sleep(200);
      }
    }
  }
  await resolveMovesPending(() => stack.liveApps(), driver.moves, Math.max(0, deadline - performance.now()));
}

export async function runFault(stack: FaultStack, fault: Fault, quick: boolean, log: (line: string) => void): Promise<FaultResult> {
  const notes: string[] = [];
  const first = stack.liveApps()[0];
  if (!first) throw new Error('no app process is running (see the app-*.log files in the stack directory, FAULTS_KEEP=1 keeps it)');
  const url = first.url;
  const [probeWallet, ...wallets] = await createWallets(url, quick ? 61 : 104);
  const hot = wallets.slice(0, 3);
  const cold = wallets.slice(3);
  const driver = new LoadDriver({ apps: () => stack.liveApps().map((a) => ({ index: a.index, url: a.url })) },
    faultLoad(hot, cold, { ratePerSecond: quick ? 150 : 250, requestTimeoutMs: 25_000, keyedAttemptsMax: 8 }));
  await driver.seed(hot, '100000.00');
  const startsBefore = stack.apps.map((a) => a.starts);

  driver.start();
  await sleep(quick ? 1000 : 1500);
  log(`  injecting ${fault.name}: ${fault.what}`);
  const injectedAt = performance.now();
  await fault.inject({ stack, hotWallets: hot, quick, note: (line) => notes.push(line) });
  const healedAt = performance.now();
  let recoveryMs = await measureRecovery(stack, probeWallet!, healedAt);
  if (fault.killsApps) {
    // The survivors must keep serving meanwhile: their first SUCCESS begun after the kill.
    const survivor = driver.requests.flatMap((r) => r.attempts)
      .filter((a) => a.kind === 'SUCCESS' && a.startedAt >= injectedAt && !fault.killsApps!.includes(a.app))
      .reduce((first, a) => Math.min(first, a.endedAt - injectedAt), Number.POSITIVE_INFINITY);
    notes.push(`survivor served its first SUCCESS ${formatMs(survivor)} after the kill; the restarted app ${formatMs(recoveryMs)} after its restart`);
    recoveryMs = Math.max(survivor, recoveryMs);
  }
  await sleep(quick ? 1000 : 1500);
  await driver.stop();
  log(`  load stopped: ${driver.requests.length} requests; fault lasted ${Math.round(healedAt - injectedAt)} ms`);
  await resolvePending(stack, driver, pendingResolveBoundMs);

  const verdict = await checkAgainstLedger(stack.admin, driver.requests, wallets);
  const probeBooks = await reconcile(stack.admin, { walletIds: [probeWallet!] });
  verdict.violations.push(...probeBooks.mismatches.map((m) => `probe wallet reconcile: ${m.message}`));
  const moves = await checkTransfersAndHolds(stack.admin, driver.moves, wallets);
  verdict.violations.push(...moves.violations);
  if (recoveryMs > recoveryBoundMs) verdict.violations.push(`no recovery within ${recoveryBoundMs} ms`);
  // Reads during the fault: 200, or 503 with a detail (never another status, never a hang).
  const reads = { total: driver.reads.length, unavailable: driver.reads.filter((r) => r.status === 503).length };
  for (const r of driver.reads) {
    const killed = fault.killsApps?.includes(r.app) && r.status === 0;
    if (!killed && r.status !== 200 && !(r.status === 503 && r.hasDetail)) verdict.violations.push(`read answered ${r.status} by app ${r.app}`);
    if (r.durationMs > readBoundMs) verdict.violations.push(`read took ${Math.round(r.durationMs)} ms (bound ${readBoundMs} ms)`);
  }
  stack.apps.forEach((app, i) => {
    const expected = startsBefore[i]! + (fault.killsApps?.includes(i) ? 1 : 0);
    if (app.exited) verdict.violations.push(`app ${i} is not running after the fault`);
    else if (app.starts !== expected) verdict.violations.push(`app ${i} had to be restarted`);
  });
  return { fault, verdict, recoveryMs, reads, notes, moves: moves.figures };
}

/**
 * Runs the chosen faults one at a time on one stack and stops it afterwards, also on Ctrl-C or a
 * timeout's SIGTERM (PostgreSQL, PgBouncer and the rest run as their own processes). Shared by the
 * fault suite and the HA fault suite (ha-suite.ts).
 */
export async function runOneByOne<F extends { name: string }, S extends { stop(): Promise<void> }, R>(options: {
  kind: string; all: F[]; only: string[]; log(line: string): void;
  start(): Promise<S>; run(stack: S, fault: F): Promise<R>; summary(result: R): string;
}): Promise<R[]> {
  const chosen = options.only.length > 0 ? options.all.filter((f) => options.only.includes(f.name)) : options.all;
  const unknown = options.only.filter((n) => !options.all.some((f) => f.name === n));
  if (unknown.length > 0) throw new Error(`unknown ${options.kind}(s): ${unknown.join(', ')}; known: ${options.all.map((f) => f.name).join(', ')}`);
  const stack = await options.start();
  const interrupted = (signal: NodeJS.Signals) => {
    options.log(`${signal}: stopping the stack`);
    void stack.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const results: R[] = [];
  try {
    for (const fault of chosen) {
      options.log(`fault ${fault.name}`);
      const result = await options.run(stack, fault);
      results.push(result);
      options.log(`  ${options.summary(result)}`);
    }
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await stack.stop();
  }
  return results;
}

export async function runFaultSuite(options: SuiteOptions): Promise<FaultResult[]> {
  return runOneByOne({
    kind: 'fault', all: faults, only: options.only, log: options.log,
    start: () => {
      options.log('starting the stack (embedded PostgreSQL, PgBouncer, 2 app processes)');
      return FaultStack.start({ apps: 2, maxClientConn: 100, log: (l) => options.log(`  ${l}`) });
    },
    run: (stack, fault) => runFault(stack, fault, options.quick, options.log),
    summary: (r) => `${r.verdict.violations.length} violation(s), recovery ${formatMs(r.recoveryMs)}`,
  });
}

export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'never';
}

/** Under a results table: each fault's notes, and its violations (the first 20 of each). */
export function notesAndViolations(results: Array<{ fault: { name: string }; verdict: { violations: string[] }; notes: string[] }>): string[] {
  const lines: string[] = [];
  for (const { fault, verdict, notes } of results) {
    if (notes.length > 0) lines.push('', `${fault.name}: ${notes.join('; ')}`);
    for (const violation of verdict.violations.slice(0, 20)) lines.push(`  VIOLATION ${fault.name}: ${violation}`);
    if (verdict.violations.length > 20) lines.push(`  ... and ${verdict.violations.length - 20} more`);
  }
  return lines;
}

/** The per-fault table (Markdown, readable in a terminal too) and every violation underneath. */
export function formatResults(results: FaultResult[]): string {
  const lines = [
    '| fault | requests | attempts | SUCCESS | 400 | FAILED | PENDING (applied / absent) | 503 | no answer (applied / absent) | other | keyed retried | reads (503) | ledger rows (all types) = events | recovery | violations |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { fault, verdict: v, recoveryMs, reads } of results) {
    const o = v.outcomes;
    lines.push(`| ${fault.name} | ${v.requests} | ${v.attempts} | ${o.SUCCESS} | ${o.REJECTED_400} | ${o.FAILED} | ` +
      `${o.PENDING} (${v.pendingApplied} / ${v.pendingAbsent}) | ${o.OVERLOADED_503} | ${o.NO_RESPONSE} (${v.unknownApplied} / ${v.unknownAbsent}) | ` +
      `${o.UNEXPECTED} | ${v.keyedRetried} | ${reads.total} (${reads.unavailable}) | ${v.eventLedgerRows} = ${v.events} | ${formatMs(recoveryMs)} | ` +
      `${v.violations.length} |`);
  }
  return [...lines, '', 'Transfers and holds (same wallets, same load):', '', ...formatMoveTable(results), ...notesAndViolations(results)].join('\n');
}
