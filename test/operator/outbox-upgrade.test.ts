/**
 * Upgrading a database that ran the per-row outbox (changesets 015-016) to the range outbox (017):
 * the events written before stay in the feed as they were, the new ones follow them in the same
 * wallet order, and a subscription's queued deliveries become its wallet queues, starting at the
 * oldest one not yet delivered.
 */
import { cpSync, mkdtempSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate, projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';

const viaPgbouncer = /^(1|true)$/i.test(process.env.TEST_VIA_PGBOUNCER ?? '');
const home = mkdtempSync(join(tmpdir(), 'wallet-outbox-upgrade-'));
chmodSync(home, 0o755);
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Deposits in one engine call (one batch statement), the way the service applies them. */
function deposit(pool: pg.Pool, wallet: string, amounts: string[]) {
  const each = <T>(v: T) => amounts.map(() => v);
  return pool.query(`SELECT o_outcome FROM apply_operations_v4($1::uuid[], $2::uuid[], $2::uuid[], $2::uuid[], $3::int[], $4::text[],
      $5::text[], $6::uuid[], $7::text[], $8::numeric[], $5::text[], $5::text[], false)`,
  [each(wallet), each(null), each(null), each('default'), each(null), amounts.map(() => crypto.randomUUID()), each('DEPOSIT'), amounts]);
}

describe.skipIf(viaPgbouncer)('the upgrade to the range outbox (changeset 017)', () => {
  it('keeps the stored events, continues each wallet after them, and turns queued deliveries into wallet queues', async () => {
    const copy = join(home, 'db');
    cpSync(join(projectRoot, 'db', 'changelog'), join(copy, 'changelog'), { recursive: true });
    const master = join(copy, 'changelog', 'db.changelog-master.yaml');
    const full = readFileSync(master, 'utf8');
    // the changelog as it was before 017: without it and everything after it
    const include017 = full.indexOf('  - include:\n      file: changes/017-outbox-ranges.sql');
    expect(include017).toBeGreaterThan(0);
    writeFileSync(master, `${full.slice(0, include017)}\n`);
    const postgres = await startEmbeddedPostgres({ dataDir: join(home, 'postgres'), port: await freePort() });
    const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
    try {
      await migrate(postgres.url, { forceUnlock: true, searchPath: copy });
      const w = crypto.randomUUID();
      await pool.query(`INSERT INTO tenants (name) VALUES ('default') ON CONFLICT DO NOTHING`);
      await pool.query(`INSERT INTO wallets (id, tenant) VALUES ($1, 'default')`, [w]);
      await deposit(pool, w, ['1.00']);
      await deposit(pool, w, ['2.00', '3.00']); // per-row outbox: 3 events, 3 rows
      const sub = crypto.randomUUID();
      await pool.query(`INSERT INTO webhook_subscriptions (id, tenant, url, event_types, secret, cursor_txid, cursor_position)
        VALUES ($1, 'default', 'http://127.0.0.1:9/', '{operation.succeeded}', 'plain:whsec_AAAA', '0', 0)`, [sub]);
      const positions = (await pool.query<{ position: string }>('SELECT position FROM events WHERE wallet_id = $1 ORDER BY position', [w]))
        .rows.map((r) => r.position);
      // seq 1 delivered, seq 2 and 3 queued
      await pool.query(`INSERT INTO webhook_deliveries (subscription_id, event_position, event_id, event_type, wallet_id, event_recorded_at,
          state, completed_at)
        SELECT $1, position, id, type, wallet_id, recorded_at, CASE WHEN wallet_seq = 1 THEN 'delivered' ELSE 'pending' END,
               CASE WHEN wallet_seq = 1 THEN now() END
          FROM events WHERE wallet_id = $2`, [sub, w]);

      writeFileSync(master, full);
      await migrate(postgres.url, { forceUnlock: true, searchPath: copy });
      await deposit(pool, w, ['4.00', '5.00', '6.00']); // range outbox: one row for seq 4-6

      const rows = await pool.query<{ wallet_seq: string; seq_last: string | null; stored: boolean }>(
        'SELECT wallet_seq, seq_last, payload IS NOT NULL AS stored FROM events WHERE wallet_id = $1 ORDER BY position', [w]);
      expect(rows.rows).toEqual([
        { wallet_seq: '1', seq_last: null, stored: true }, { wallet_seq: '2', seq_last: null, stored: true },
        { wallet_seq: '3', seq_last: null, stored: true }, { wallet_seq: '4', seq_last: '6', stored: false },
      ]);
      const log = await pool.query<{ wallet_seq: string; type: string; amount: string }>(
        `SELECT wallet_seq, type, coalesce(payload->>'amount', amount::text) AS amount FROM event_log WHERE wallet_id = $1
          ORDER BY feed_txid, position, seq`, [w]);
      expect(log.rows).toEqual(['1.00', '2.00', '3.00', '4.00', '5.00', '6.00'].map((amount, i) =>
        ({ wallet_seq: String(i + 1), type: 'operation.succeeded', amount })));
      // the queue starts just before the oldest queued delivery; the delivered one stays on record
      const queue = await pool.query<{ done_position: string; pending: boolean }>(
        'SELECT done_position, pending FROM webhook_streams WHERE subscription_id = $1 AND wallet_id = $2', [sub, w]);
      expect(queue.rows).toEqual([{ done_position: String(Number(positions[1]) - 1), pending: true }]);
      const records = await pool.query<{ state: string }>('SELECT state FROM webhook_deliveries WHERE subscription_id = $1', [sub]);
      expect(records.rows).toEqual([{ state: 'delivered' }]);
    } finally {
      await pool.end();
      await postgres.stop();
    }
  }, 180_000); // two Liquibase runs (a JVM each) on 2 shared cores
});
