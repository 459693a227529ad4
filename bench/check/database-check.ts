/**
 * The SQL side of the correctness check: wait until the service has finished what was in flight,
 * read the ledger of the scenario's wallets, and reconcile them (balance = ledger sum, seq
 * 1..n without gaps, each balance_after = previous balance_after ± amount).
 */
import type pg from 'pg';
import { parseCents } from '../lib-cents.js';
import type { LedgerRow } from './ledger-match.js';
import type { OperationType } from './operation-tracker.js';

const pollIntervalMs = 150;

/**
 * Polls until the fingerprint query returns the same value three times in a row and no other
 * client backend is running a statement. Requests cut by the time limit are still being
 * processed by the service when the load generator stops. Returns false when quietBoundMs passes.
 */
export async function waitForQuiet(
  client: pg.Client, fingerprintSql: string, params: unknown[], quietBoundMs: number,
): Promise<boolean> {
  const deadline = Date.now() + quietBoundMs;
  let last = '';
  let same = 0;
  while (Date.now() < deadline) {
    const fingerprint = await client.query<{ f: string }>(`SELECT (${fingerprintSql})::text AS f`, params);
    const active = await client.query<{ n: string }>(
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

export async function readLedger(client: pg.Client, walletIds: string[]): Promise<LedgerRow[]> {
  const result = await client.query<{ wallet_id: string; id: string; operation_type: OperationType; amount: string; status: string }>(
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

/** Reconciles the given wallets with their ledgers, all in SQL. */
export async function reconcileWallets(client: pg.Client, walletIds: string[]): Promise<Reconciliation> {
  const result = await client.query<{
    id: string; balance: string; last_seq: string; ledger_sum: string; n: string; max_seq: string; seq_gaps: string; chain_breaks: string;
  }>(`
    WITH ops AS (
      SELECT wallet_id, seq, status, operation_type, amount, balance_after,
             lag(balance_after, 1, 0::numeric) OVER w AS previous_after,
             row_number() OVER w AS position
        FROM operations WHERE wallet_id = ANY($1::uuid[])
      WINDOW w AS (PARTITION BY wallet_id ORDER BY seq)
    ), per_wallet AS (
      SELECT wallet_id,
             sum(CASE WHEN status = 'SUCCESS' THEN CASE WHEN operation_type = 'DEPOSIT' THEN amount ELSE -amount END ELSE 0 END) AS ledger_sum,
             count(*) AS n, max(seq) AS max_seq,
             count(*) FILTER (WHERE seq <> position) AS seq_gaps,
             count(*) FILTER (WHERE balance_after <> previous_after + CASE WHEN status <> 'SUCCESS' THEN 0
                                    WHEN operation_type = 'DEPOSIT' THEN amount ELSE -amount END) AS chain_breaks
        FROM ops GROUP BY wallet_id
    )
    SELECT w.id, w.balance::text AS balance, w.last_seq::text AS last_seq,
           coalesce(p.ledger_sum, 0)::numeric(18,2)::text AS ledger_sum, coalesce(p.n, 0)::text AS n,
           coalesce(p.max_seq, 0)::text AS max_seq, coalesce(p.seq_gaps, 0)::text AS seq_gaps,
           coalesce(p.chain_breaks, 0)::text AS chain_breaks
      FROM wallets w LEFT JOIN per_wallet p ON p.wallet_id = w.id
     WHERE w.id = ANY($1::uuid[])`, [walletIds]);
  const problems: string[] = [];
  const balanceCents = new Map<string, bigint>();
  let operationsChecked = 0;
  for (const row of result.rows) {
    balanceCents.set(row.id, parseCents(row.balance));
    operationsChecked += Number(row.n);
    const wrong: string[] = [];
    if (row.balance !== row.ledger_sum) wrong.push(`balance ${row.balance} but ledger sums to ${row.ledger_sum}`);
    if (row.last_seq !== row.max_seq || row.max_seq !== row.n) wrong.push(`last_seq ${row.last_seq}, max seq ${row.max_seq}, ${row.n} rows`);
    if (row.seq_gaps !== '0') wrong.push(`${row.seq_gaps} rows out of sequence`);
    if (row.chain_breaks !== '0') wrong.push(`${row.chain_breaks} balance_after values break the chain`);
    if (wrong.length > 0 && problems.length < 10) problems.push(`wallet ${row.id}: ${wrong.join('; ')}`);
  }
  if (result.rows.length !== walletIds.length) {
    problems.push(`${walletIds.length - result.rows.length} of ${walletIds.length} wallets are missing`);
  }
  return { problems, balanceCents, walletsChecked: result.rows.length, operationsChecked };
}
