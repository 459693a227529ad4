/**
 * Proves the books balance, in two set-based passes that run side by side on two connections:
 * 1. per wallet: balance = sum(SUCCESS deposits) - sum(SUCCESS withdrawals), last_seq = max(seq)
 *    (one hash aggregate over operations joined to wallets);
 * 2. per operation, in seq order within its wallet: seq follows the previous seq by one, and
 *    balance_after = previous balance_after (0 before the first) + the operation's effect, where a
 *    REJECTED row has no effect and must have been a justified refusal (one window pass).
 * Each pass runs in one REPEATABLE READ READ ONLY transaction, so it sees one consistent snapshot
 * even while the service keeps writing. Nothing here writes.
 */
import type pg from 'pg';
import { parseCents } from '../lib/cents.js';
import { MONEY_MAX } from '../wallets/money.js';

export type MismatchKind = 'balance' | 'last_seq' | 'seq_gap' | 'chain' | 'rejection';

export interface Mismatch {
  kind: MismatchKind;
  walletId: string;
  /** The operation's seq, for per-operation mismatches. */
  seq?: string;
  message: string;
}

export interface ReconcileReport {
  wallets: number;
  operations: number;
  mismatches: Mismatch[];
  durationMs: number;
}

export interface ReconcileOptions {
  /** Only these wallets (tests share one database); all wallets when absent. */
  walletIds?: readonly string[];
  /** work_mem for the two passes (SET LOCAL), e.g. '128MB'. */
  workMem?: string;
}

interface BalanceRow {
  wallet_id: string;
  balance: string;
  ledger_balance: string;
  last_seq: string;
  max_seq: string;
}

interface ChainRow {
  wallet_id: string;
  seq: string;
  prev_seq: string;
  operation_type: 'DEPOSIT' | 'WITHDRAW';
  amount: string;
  status: string;
  balance_after: string;
  prev_after: string;
  expected_after: string;
}

const balanceSql = (filtered: boolean) => `
  WITH ledger AS (
    SELECT wallet_id,
           sum(CASE WHEN status <> 'SUCCESS' THEN 0
                    WHEN operation_type = 'DEPOSIT' THEN amount ELSE -amount END) AS ledger_balance,
           count(*) AS operations,
           max(seq) AS max_seq
      FROM operations
     ${filtered ? 'WHERE wallet_id = ANY ($1::uuid[])' : ''}
     GROUP BY wallet_id
  ), joined AS (
    SELECT w.id AS wallet_id, w.balance, w.last_seq,
           coalesce(l.ledger_balance, 0) AS ledger_balance,
           coalesce(l.operations, 0) AS operations,
           coalesce(l.max_seq, 0) AS max_seq
      FROM wallets w LEFT JOIN ledger l ON l.wallet_id = w.id
     ${filtered ? 'WHERE w.id = ANY ($1::uuid[])' : ''}
  )
  SELECT wallet_id::text, balance::text, ledger_balance::text, last_seq::text, max_seq::text,
         NULL::text AS wallets, NULL::text AS operations
    FROM joined
   WHERE balance <> ledger_balance OR last_seq <> max_seq
  UNION ALL
  -- one summary row, also when nothing mismatches
  SELECT NULL, NULL, NULL, NULL, NULL, count(*)::text, coalesce(sum(operations), 0)::text FROM joined`;

// The window runs along the (wallet_id, seq) order; expected_after is computed in NUMERIC, exactly.
const chainSql = (filtered: boolean) => `
  SELECT wallet_id::text, seq::text, prev_seq::text, operation_type, amount::text, status,
         balance_after::text, prev_after::text, expected_after::text
    FROM (
      SELECT wallet_id, seq, operation_type, amount, status, balance_after,
             lag(seq, 1, 0::bigint) OVER w AS prev_seq,
             lag(balance_after, 1, 0::numeric) OVER w AS prev_after,
             lag(balance_after, 1, 0::numeric) OVER w
               + CASE WHEN status <> 'SUCCESS' THEN 0
                      WHEN operation_type = 'DEPOSIT' THEN amount ELSE -amount END AS expected_after
        FROM operations
       ${filtered ? 'WHERE wallet_id = ANY ($1::uuid[])' : ''}
      WINDOW w AS (PARTITION BY wallet_id ORDER BY seq)
    ) c
   WHERE seq <> prev_seq + 1
      OR balance_after <> expected_after
      OR (status = 'REJECTED' AND operation_type = 'WITHDRAW' AND amount <= prev_after)
      OR (status = 'REJECTED' AND operation_type = 'DEPOSIT' AND prev_after + amount <= ${MONEY_MAX})
   ORDER BY wallet_id, seq`;

async function inSnapshot<T extends pg.QueryResultRow>(
  pool: pg.Pool, text: string, values: unknown[], workMem: string,
): Promise<T[]> {
  if (!/^\d+(kB|MB|GB)$/.test(workMem)) throw new Error(`invalid work_mem ${workMem}`);
  const client = await pool.connect();
  try {
    await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL work_mem = '${workMem}'`);
    const result = await client.query<T>(text, values);
    await client.query('COMMIT');
    return result.rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function chainMismatches(row: ChainRow): Mismatch[] {
  const found: Mismatch[] = [];
  const at = { walletId: row.wallet_id, seq: row.seq };
  if (row.seq !== String(BigInt(row.prev_seq) + 1n)) {
    found.push({ kind: 'seq_gap', ...at,
      message: `seq ${row.seq} follows seq ${row.prev_seq} (expected ${BigInt(row.prev_seq) + 1n})` });
  }
  if (row.balance_after !== row.expected_after) {
    const effect = row.status === 'SUCCESS' ? `${row.operation_type} ${row.amount}` : `${row.status} (no effect)`;
    found.push({ kind: 'chain', ...at,
      message: `seq ${row.seq}: balance_after ${row.balance_after}, expected ${row.expected_after} ` +
        `(previous ${row.prev_after} + ${effect})` });
  }
  if (row.status === 'REJECTED' && found.every((m) => m.kind !== 'chain')) {
    // Exact comparisons of the NUMERIC text as BigInt cents, never a JS number.
    const refused = row.operation_type === 'WITHDRAW'
      ? parseCents(row.amount) <= parseCents(row.prev_after)
      : parseCents(row.prev_after) + parseCents(row.amount) <= parseCents(MONEY_MAX);
    if (refused) {
      found.push({ kind: 'rejection', ...at,
        message: `seq ${row.seq}: ${row.operation_type} ${row.amount} was REJECTED although the balance was ${row.prev_after}` });
    }
  }
  return found;
}

export async function reconcile(pool: pg.Pool, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const startedAt = performance.now();
  const filtered = options.walletIds !== undefined;
  const values = filtered ? [options.walletIds] : [];
  const workMem = options.workMem ?? '128MB';
  const [balanceRows, chainRows] = await Promise.all([
    inSnapshot<BalanceRow & { wallets: string; operations: string }>(pool, balanceSql(filtered), values, workMem),
    inSnapshot<ChainRow>(pool, chainSql(filtered), values, workMem),
  ]);
  const mismatches: Mismatch[] = [];
  let wallets = 0;
  let operations = 0;
  for (const row of balanceRows) {
    if (row.wallet_id === null) {
      wallets = Number(row.wallets);
      operations = Number(row.operations);
      continue;
    }
    if (row.balance !== row.ledger_balance) {
      mismatches.push({ kind: 'balance', walletId: row.wallet_id,
        message: `balance ${row.balance}, ledger says ${row.ledger_balance} (SUCCESS deposits - withdrawals)` });
    }
    if (row.last_seq !== row.max_seq) {
      mismatches.push({ kind: 'last_seq', walletId: row.wallet_id,
        message: `last_seq ${row.last_seq}, highest operation seq ${row.max_seq}` });
    }
  }
  for (const row of chainRows) mismatches.push(...chainMismatches(row));
  mismatches.sort((a, b) => (a.walletId < b.walletId ? -1 : a.walletId > b.walletId ? 1 : 0));
  return { wallets, operations, mismatches, durationMs: performance.now() - startedAt };
}

/** The text `npm run reconcile` prints: a summary line, then every mismatch. */
export function formatReport(report: ReconcileReport): string {
  const lines = [
    `reconcile: ${report.wallets} wallets, ${report.operations} operations checked in ${Math.round(report.durationMs)} ms`,
    report.mismatches.length === 0 ? 'OK: every balance equals its ledger and every balance_after chain is consistent'
      : `MISMATCHES: ${report.mismatches.length}`,
  ];
  for (const m of report.mismatches) lines.push(`  ${m.kind.padEnd(9)} wallet ${m.walletId}: ${m.message}`);
  return lines.join('\n');
}
