/** What a scenario is, and the pieces the scenarios share. */
import type { Request } from 'autocannon';
import type pg from 'pg';
import type { PgbenchWorkload } from '../pgbench/run-pgbench.js';
import { formatCents } from '../../src/lib/cents.js';
import { readBalances, waitForQuiet } from '../check/database-check.js';
import { checkLedger, type OperationType } from '../check/ledger-check.js';
import type { OperationTracker } from '../check/operation-tracker.js';
import { benchAuth } from '../target/bench-auth.js';

export interface BenchContext {
  baseUrl: string;
  db: pg.Pool;
  /** How long the check waits for the service to finish requests cut by the time limit. */
  quietBoundMs: number;
}

export interface CheckResult {
  ok: boolean;
  problems: string[];
  /** One line for the report, e.g. "balance 1234.00 = 1200.00 answered + 34.00 in flight". */
  summary: string;
}

export interface PreparedRun {
  requests: Request[];
  check(): Promise<CheckResult>;
}

export interface Scenario {
  id: string;
  title: string;
  /** 4xx answers are part of the workload (withdrawals refused for insufficient funds); elsewhere any is a failure. */
  refusalsExpected?: boolean;
  /** Which pgbench workload it is compared with, if any. */
  reference?: PgbenchWorkload;
  prepare(ctx: BenchContext, connections: number): Promise<PreparedRun>;
}

export const walletsPath = '/api/v1/wallets';
export const jsonHeaders = { 'content-type': 'application/json' };
export const operationPath = (walletId: string) => `/api/v1/wallets/${walletId}/operation`;

export async function http(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: body === undefined ? { ...benchAuth.headers } : { 'content-type': 'application/json', ...benchAuth.headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

export async function createWalletOverHttp(baseUrl: string): Promise<string> {
  const { status, json } = await http(baseUrl, 'POST', walletsPath);
  const id = (json as { id?: unknown }).id;
  if (status !== 200 || typeof id !== 'string') throw new Error(`creating a wallet answered ${status}: ${JSON.stringify(json)}`);
  return id;
}

/** Bench fixtures: many empty wallets at once, straight into the table (creation has its own scenario). */
export async function insertWallets(db: pg.Pool, count: number): Promise<string[]> {
  const result = await db.query<{ id: string }>(
    'INSERT INTO wallets (id) SELECT gen_random_uuid() FROM generate_series(1, $1::int) RETURNING id', [count]);
  return result.rows.map((row) => row.id);
}

/** A request that posts one operation per call, tracked from the moment it is built. */
export function operationRequest(
  tracker: OperationTracker,
  pick: () => { walletId: string; type: OperationType; cents: bigint },
): Request {
  return {
    method: 'POST',
    headers: jsonHeaders,
    setupRequest: (request, context) => {
      const op = pick();
      context.key = tracker.sent(op);
      return {
        ...request,
        path: operationPath(op.walletId),
        body: JSON.stringify({ operation_type: op.type, amount: formatCents(op.cents) }),
      };
    },
    onResponse: (status, body, context) => { tracker.answered(context.key as number, status, body); },
  };
}

/** Problems listed per run: the first of them tell the story, the rest only the count. */
const problemsShownMax = 10;

/**
 * The full operation check for a set of wallets that only this scenario touched: wait until the
 * service is quiet, match the ledger with the answers and reconcile (ledger-check.ts), and compare
 * each balance with what was answered SUCCESS plus the in-flight operations found applied.
 */
export async function checkOperations(ctx: BenchContext, tracker: OperationTracker, walletIds: string[]): Promise<CheckResult> {
  const problems: string[] = [];
  const quiet = await waitForQuiet(ctx.db, 'SELECT coalesce(sum(last_seq), 0) FROM wallets WHERE id = ANY($1::uuid[])',
    [walletIds], ctx.quietBoundMs);
  if (!quiet) problems.push(`the service was still writing ${ctx.quietBoundMs} ms after the load stopped`);
  const ledger = await checkLedger(ctx.db, tracker.requests(), walletIds);
  problems.push(...ledger.violations, ...tracker.oddAnswers);
  const balances = await readBalances(ctx.db, walletIds);
  if (balances.size !== walletIds.length) problems.push(`${walletIds.length - balances.size} of ${walletIds.length} wallets are missing`);
  let acknowledgedTotal = 0n;
  let inFlightTotal = 0n;
  for (const walletId of walletIds) {
    const delta = ledger.deltaCentsByWallet.get(walletId) ?? { acknowledged: 0n, inFlight: 0n };
    acknowledgedTotal += delta.acknowledged;
    inFlightTotal += delta.inFlight;
    const expected = delta.acknowledged + delta.inFlight;
    const actual = balances.get(walletId);
    if (actual !== undefined && actual !== expected) {
      problems.push(`wallet ${walletId}: balance ${formatCents(actual)}, expected ${formatCents(expected)} from the answers seen`);
    }
  }
  const where = walletIds.length === 1 ? 'balance' : `${walletIds.length} wallets, total change`;
  const summary = `${where} ${formatCents(acknowledgedTotal + inFlightTotal)} = ${formatCents(acknowledgedTotal)} answered SUCCESS (${ledger.acknowledged} ops)` +
    ` + ${formatCents(inFlightTotal)} in flight at stop (${ledger.inFlightApplied} ops)` +
    `; ${tracker.refused} refused, ${tracker.failed} FAILED; ledger reconciled (${ledger.operationsReconciled} rows)`;
  const shown = problems.slice(0, problemsShownMax);
  if (problems.length > problemsShownMax) shown.push(`(${problems.length - problemsShownMax} more problems)`);
  return { ok: problems.length === 0, problems: shown, summary };
}
