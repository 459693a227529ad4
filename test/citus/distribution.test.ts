/**
 * Where the tables live. On Citus (TEST_VIA_CITUS=1, test/support/global-setup.ts) the changelog
 * distributes them (db/changelog/changes/050-citus-distribution.sql): wallets by id, every table
 * with a wallet_id by wallet_id in the same co-location group, everything else a reference table,
 * Liquibase's own tables local. On a plain PostgreSQL the same changeset is recorded (so /ready
 * holds) and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { useAdminPool } from '../support/test-app.js';

const citus = inject('citus');
const pool = useAdminPool();

const liquibaseTables = ['databasechangelog', 'databasechangeloglock'];

async function publicTables(): Promise<Array<{ name: string; keyedByWallet: boolean }>> {
  const { rows } = await pool.query<{ name: string; keyed: boolean }>(`
    SELECT c.relname AS name, EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'wallet_id' AND NOT a.attisdropped) AS keyed
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
       AND ($1 = false OR NOT relation_is_a_known_shard(c.oid))
     ORDER BY c.relname`, [citus]);
  return rows.map((r) => ({ name: r.name, keyedByWallet: r.keyed }));
}

describe.skipIf(citus)('on a plain PostgreSQL', () => {
  it('the Citus changeset is recorded and changes nothing: the keys stay as they were', async () => {
    const recorded = await pool.query("SELECT 1 FROM databasechangelog WHERE id = '050-citus-distribution'");
    expect(recorded.rowCount).toBe(1);
    const keys = await pool.query<{ conname: string; def: string }>(`
      SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE conname IN ('holds_pkey', 'webhook_deliveries_pkey', 'operations_counterparty_wallet_id_fkey') ORDER BY conname`);
    expect(keys.rows).toEqual([
      { conname: 'holds_pkey', def: 'PRIMARY KEY (id)' },
      { conname: 'operations_counterparty_wallet_id_fkey', def: 'FOREIGN KEY (counterparty_wallet_id) REFERENCES wallets(id)' },
      { conname: 'webhook_deliveries_pkey', def: 'PRIMARY KEY (subscription_id, event_id)' },
    ]);
  });
});

describe.skipIf(!citus)('on Citus (TEST_VIA_CITUS=1)', () => {
  it('distributes wallets by id and every wallet-keyed table by wallet_id, co-located; the rest are reference tables', async () => {
    const { rows } = await pool.query<{ name: string; type: string; column: string; colocation: number }>(`
      SELECT table_name::text AS name, citus_table_type AS type, distribution_column AS column, colocation_id AS colocation
        FROM citus_tables`);
    const placed = new Map(rows.map((r) => [r.name, r]));
    const wallets = placed.get('wallets');
    expect(wallets).toMatchObject({ type: 'distributed', column: 'id' });
    const tables = await publicTables();
    expect(tables.length).toBeGreaterThan(8);
    for (const table of tables) {
      const where = placed.get(table.name);
      if (liquibaseTables.includes(table.name)) expect(where, table.name).toBeUndefined();
      else if (table.name === 'wallets') continue;
      else if (table.keyedByWallet) expect(where, table.name).toMatchObject({ type: 'distributed', column: 'wallet_id', colocation: wallets!.colocation });
      else expect(where, table.name).toMatchObject({ type: 'reference' });
    }
  });

  it('keeps the foreign keys that include the distribution column and drops the counterparty one', async () => {
    const { rows } = await pool.query<{ conname: string; def: string }>(`
      SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE contype IN ('f', 'p') AND conrelid IN ('operations'::regclass, 'holds'::regclass, 'webhook_deliveries'::regclass)
       ORDER BY conname`);
    const defs = Object.fromEntries(rows.map((r) => [r.conname, r.def]));
    expect(defs).toMatchObject({
      holds_pkey: 'PRIMARY KEY (wallet_id, id)',
      holds_wallet_id_fkey: 'FOREIGN KEY (wallet_id) REFERENCES wallets(id)',
      operations_pkey: 'PRIMARY KEY (wallet_id, id)',
      operations_wallet_id_fkey: 'FOREIGN KEY (wallet_id) REFERENCES wallets(id)',
      operations_reverses_fkey: 'FOREIGN KEY (wallet_id, reverses_id) REFERENCES operations(wallet_id, id)',
      webhook_deliveries_pkey: 'PRIMARY KEY (wallet_id, subscription_id, event_id)',
    });
    expect(defs).not.toHaveProperty('operations_counterparty_wallet_id_fkey');
  });

  it('spreads the shards over both workers and puts a wallet and its rows on one node', async () => {
    const perNode = await pool.query<{ nodeport: number; shards: string }>(`
      SELECT nodeport, count(*) AS shards FROM citus_shards WHERE table_name = 'wallets'::regclass GROUP BY nodeport`);
    expect(perNode.rows).toHaveLength(2);
    expect(perNode.rows.map((r) => Number(r.shards))).toEqual([4, 4]);

    // Any id: the placement is a function of it. (Creating one through the API is a write, which
    // does not run on Citus yet: docs/scale-out.md.)
    const walletId = randomUUID();
    const homes = await pool.query<{ table_name: string; nodeport: number }>(`
      SELECT s.table_name::text, s.nodeport FROM citus_shards s
       WHERE s.shardid IN (SELECT get_shard_id_for_distribution_column(t, $1::uuid)
                             FROM unnest(ARRAY['wallets', 'operations', 'holds', 'events']::regclass[]) AS t)`, [walletId]);
    expect(homes.rows).toHaveLength(4);
    expect(new Set(homes.rows.map((r) => r.nodeport)).size).toBe(1);
  });
});
