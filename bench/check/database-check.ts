/**
 * The SQL side of the correctness check: wait until the service has finished what was in flight,
 * read the ledger of the scenario's wallets, and reconcile them.
 */
import type pg from 'pg';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { parseCents } from '../lib-cents.js';
import type { LedgerRow } from './ledger-match.js';
import type { OperationType } from './operation-tracker.js';

const pollIntervalMs = 150;
const problemsShownMax = 10;

/**
 * Polls until the fingerprint query returns the same value three times in a row and no other
 * client backend is running a statement. Requests cut by the time limit are still being
 * processed by the service when the load generator stops. Returns false when quietBoundMs passes.
 */
export async function waitForQuiet(
  db: pg.Pool, fingerprintSql: string, params: unknown[], quietBoundMs: number,
): Promise<boolean> {
  const deadline = Date.now() + quietBoundMs;
  let last = '';
  let same = 0;
  while (Date.now() < deadline) {
    const fingerprint = await db.query<{ f: string }>(`SELECT (${fingerprintSql})::text AS f`, params);
    const active = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'
          AND state <> 'idle' AND pid <> pg_backend_pid()`);
    const value = fingerprint.rows[0]?.f ?? '';
    same = value === last && active.rows[0]?.n === '0' ? same + 1 : 0;
    last = value;
    if (same >= 2) return true;
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
  return false;
}

export async function readLedger(db: pg.Pool, walletIds: string[]): Promise<LedgerRow[]> {
  const result = await db.query<{ wallet_id: string; id: string; operation_type: OperationType; amount: string; status: string }>(
    `SELECT wallet_id, id, operation_type, amount::text AS amount, status
       FROM operations WHERE wallet_id = ANY($1::uuid[])`, [walletIds]);
  return result.rows.map((row) => ({
    walletId: row.wallet_id, id: row.id, type: row.operation_type, cents: parseCents(row.amount), status: row.status,
  }));
}

export interface Reconciliation {
  problems: string[];
  balanceCents: Map<string, bigint>;
  walletsChecked: number;
  operationsChecked: number;
}

/**
 * Reconciles the given wallets with the project's own reconciliation (src/reconcile: balance =
 * ledger sum, last_seq = max seq, seq without gaps, balance_after chain, justified rejections),
 * then reads their balances for the comparison with the answers the harness saw.
 */
export async function reconcileWallets(pool: pg.Pool, walletIds: string[]): Promise<Reconciliation> {
  const report = await reconcile(pool, { walletIds });
  const problems = report.mismatches.slice(0, problemsShownMax).map((m) => `wallet ${m.walletId}: ${m.kind}: ${m.message}`);
  if (report.mismatches.length > problemsShownMax) problems.push(`(${report.mismatches.length - problemsShownMax} more mismatches)`);
  const result = await pool.query<{ id: string; balance: string }>(
    'SELECT id, balance::text AS balance FROM wallets WHERE id = ANY($1::uuid[])', [walletIds]);
  const balanceCents = new Map(result.rows.map((row) => [row.id, parseCents(row.balance)]));
  if (result.rows.length !== walletIds.length) {
    problems.push(`${walletIds.length - result.rows.length} of ${walletIds.length} wallets are missing`);
  }
  return { problems, balanceCents, walletsChecked: report.wallets, operationsChecked: report.operations };
}
