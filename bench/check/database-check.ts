/**
 * The SQL side of the benchmark's check beyond the ledger (ledger-check.ts): wait until the
 * service has finished what was in flight, and read the balances.
 */
import type pg from 'pg';
import { parseCents } from '../../src/lib/cents.js';

const pollIntervalMs = 150;

/**
 * Polls until the fingerprint query returns the same value three times in a row and no other
 * client backend is running a statement (other than the webhook dispatcher's). Requests cut by the time limit are still being
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
          AND state <> 'idle' AND pid <> pg_backend_pid()
          -- the webhook dispatcher (--webhook) works on for as long as its backlog lasts: its
          -- statements touch the outbox and delivery tables, never the ledger
          AND query !~ 'webhook_' AND query !~* '(from|into) events\\M'`);
    const value = fingerprint.rows[0]?.f ?? '';
    same = value === last && active.rows[0]?.n === '0' ? same + 1 : 0;
    last = value;
    if (same >= 2) return true;
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
  return false;
}

/** The balances of these wallets, as BigInt cents; wallets not found are missing from the map. */
export async function readBalances(db: pg.Pool, walletIds: readonly string[]): Promise<Map<string, bigint>> {
  const result = await db.query<{ id: string; balance: string }>(
    'SELECT id::text, balance::text AS balance FROM wallets WHERE id = ANY($1::uuid[])', [walletIds]);
  return new Map(result.rows.map((row) => [row.id, parseCents(row.balance)]));
}
