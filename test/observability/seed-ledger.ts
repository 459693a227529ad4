/**
 * Seeds a consistent ledger straight in SQL (no API), for reconciliation tests and timing:
 * `wallets` wallets with `opsPerWallet` operations each: deposits, withdrawals and, every 50th,
 * a REJECTED withdrawal that carried an Idempotency-Key (no effect on the balance).
 *
 * Timing run (1,000,000 operations):
 *   DATABASE_URL=postgres://... npx tsx test/observability/seed-ledger.ts --wallets 10000 --ops-per-wallet 100
 *   DATABASE_URL=postgres://... npm run reconcile
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';

export interface SeedOptions {
  wallets: number;
  opsPerWallet: number;
}

// Operation k of every wallet (k = 1..n); the same pattern for each wallet.
const opsOfOneWallet = `
  SELECT k AS seq,
         CASE WHEN k % 50 = 0 OR k % 3 = 0 THEN 'WITHDRAW' ELSE 'DEPOSIT' END AS operation_type,
         CASE WHEN k % 50 = 0 THEN 99999999.00 WHEN k % 3 = 0 THEN 5.00 ELSE 10.00 + (k % 7) END::numeric(18,2) AS amount,
         CASE WHEN k % 50 = 0 THEN 'REJECTED' ELSE 'SUCCESS' END AS status
    FROM generate_series(1, $1::int) AS k`;

/** Inserts the wallets and their operations in one transaction; returns the wallet ids. */
export async function seedLedger(pool: pg.Pool, options: SeedOptions): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const wallets = await client.query<{ id: string }>(`
      WITH one AS (${opsOfOneWallet})
      INSERT INTO wallets (id, balance, last_seq)
      SELECT gen_random_uuid(),
             (SELECT coalesce(sum(CASE WHEN status <> 'SUCCESS' THEN 0 WHEN operation_type = 'DEPOSIT' THEN amount ELSE -amount END), 0) FROM one),
             $1::int
        FROM generate_series(1, $2::int)
      RETURNING id::text`, [options.opsPerWallet, options.wallets]);
    const ids = wallets.rows.map((r) => r.id);
    await client.query(`
      WITH one AS (${opsOfOneWallet}),
      chain AS (
        SELECT seq, operation_type, amount, status,
               sum(CASE WHEN status <> 'SUCCESS' THEN 0 WHEN operation_type = 'DEPOSIT' THEN amount ELSE -amount END)
                 OVER (ORDER BY seq) AS balance_after
          FROM one
      )
      INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status, idempotency_key, request_hash)
      SELECT w.id, gen_random_uuid(), c.seq, c.operation_type, c.amount, c.balance_after, c.status,
             CASE WHEN c.status = 'REJECTED' THEN 'seed-' || c.seq END,
             CASE WHEN c.status = 'REJECTED' THEN 'seed' END
        FROM unnest($2::uuid[]) AS w(id) CROSS JOIN chain c`, [options.opsPerWallet, ids]);
    await client.query('COMMIT');
    return ids;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL (a database migrated with npm run migrate or npm start)');
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const wallets = arg('--wallets', 10_000);
  const opsPerWallet = arg('--ops-per-wallet', 100);
  const startedAt = performance.now();
  try {
    // Chunks keep each transaction (and its RETURNING list) moderate.
    const chunk = Math.max(1, Math.floor(100_000 / opsPerWallet));
    for (let done = 0; done < wallets; done += chunk) {
      await seedLedger(pool, { wallets: Math.min(chunk, wallets - done), opsPerWallet });
    }
    await pool.query('ANALYZE wallets; ANALYZE operations');
  } finally {
    await pool.end();
  }
  console.log(`seeded ${wallets} wallets x ${opsPerWallet} operations = ${wallets * opsPerWallet} operations ` +
    `in ${Math.round(performance.now() - startedAt)} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
