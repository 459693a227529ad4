/**
 * pgbench's reference tables follow the Liquibase changelog: built by bench/pgbench/schema.sql on a
 * migrated database, they have the same columns, constraints and indexes as wallets and operations.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPgbenchTables, setUpPgbenchTables } from '../../bench/pgbench/run-pgbench.js';
import { adminPool } from '../support/test-app.js';

let admin: pg.Pool;
beforeAll(async () => {
  admin = adminPool();
  await setUpPgbenchTables(admin);
});
afterAll(async () => {
  await dropPgbenchTables(admin).catch(() => undefined);
  await admin?.end();
});

/** Columns, constraints and indexes of a table, with its own name (and bench_) taken out of the text. */
async function shape(table: string): Promise<{ columns: unknown[]; constraints: string[]; indexes: string[] }> {
  const plain = (text: string) => text.replace(/\bbench_/g, '');
  const columns = await admin.query(
    `SELECT column_name, data_type, numeric_precision, numeric_scale, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, [table]);
  const constraints = await admin.query<{ def: string }>(
    `SELECT contype::text || ' ' || pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass`, [table]);
  const indexes = await admin.query<{ def: string }>(
    `SELECT regexp_replace(indexdef, '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+', 'CREATE \\1INDEX ON') AS def
       FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`, [table]);
  return {
    columns: columns.rows,
    constraints: constraints.rows.map((r) => plain(r.def)).sort(),
    indexes: indexes.rows.map((r) => plain(r.def)).sort(),
  };
}

describe('pgbench reference tables', () => {
  it.each([['wallets', 'bench_wallets'], ['operations', 'bench_operations']])('%s and %s have one shape', async (table, copy) => {
    const [original, bench] = await Promise.all([shape(table), shape(copy)]);
    expect(bench).toEqual(original);
    expect(original.constraints.length).toBeGreaterThan(1);
  });

  it('holds the 10,000 wallets the pgbench scripts address', async () => {
    const r = await admin.query<{ n: string; hot: string }>(
      `SELECT count(*)::text AS n, count(*) FILTER (WHERE id = md5('1')::uuid)::text AS hot FROM bench_wallets`);
    expect(r.rows[0]).toEqual({ n: '10000', hot: '1' });
  });
});
