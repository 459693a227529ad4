/**
 * GET /api/v1/wallets at scale (issue 22): one tenant with N wallets (default 1,000,000), each with
 * metadata {user_id, plan (1 of 10), region (1 of 50)}; times the listing's page query (the
 * repository's own SQL, src/wallets/wallet-repository.ts findWalletsPage) filtered by one metadata
 * key, a first page and a page after a cursor. Own embedded PostgreSQL in a temp directory,
 * migrated by Liquibase; removed at the end.
 *   npx tsx bench/listing/wallet-listing.ts [--wallets 1000000] [--runs 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';
import type { Database } from '../../src/ledger/tables.js';
import { findWalletsPage, type WalletsPageQuery } from '../../src/wallets/wallet-repository.js';

const { values } = parseArgs({ options: { wallets: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '200' } } });
const walletCount = Number(values.wallets);
const runs = Number(values.runs);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function time(label: string, db: Kysely<Database>, query: () => WalletsPageQuery): Promise<void> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    rows = (await findWalletsPage(db, query())).length;
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label}: ${rows} rows/page, p50 ${percentile(ms, 50).toFixed(2)} ms, p99 ${percentile(ms, 99).toFixed(2)} ms, max ${ms.at(-1)!.toFixed(2)} ms (${runs} runs)`);
}

const home = mkdtempSync(join(tmpdir(), 'wallet-listing-'));
const postgres = await startEmbeddedPostgres({ dataDir: join(home, 'postgres'), port: await freePort() });
const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
try {
  await migrate(postgres.url, { forceUnlock: true });
  await pool.query(`INSERT INTO tenants (name) VALUES ('big') ON CONFLICT DO NOTHING`);
  const started = performance.now();
  const chunk = 100_000;
  for (let from = 0; from < walletCount; from += chunk) {
    await pool.query(`
      INSERT INTO wallets (id, tenant, metadata, created_at)
      SELECT gen_random_uuid(), 'big',
             jsonb_build_object('user_id', i::text, 'plan', 'plan-' || (i % 10), 'region', 'r' || (i % 50)),
             now() - (i || ' seconds')::interval
        FROM generate_series($1::int, $2::int) i`, [from + 1, Math.min(walletCount, from + chunk)]);
  }
  await pool.query('VACUUM ANALYZE wallets');
  console.log(`${walletCount} wallets in tenant big, loaded and analysed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const base = { tenant: 'big', before: undefined, rows: 51 };
  let n = 0;
  await time('metadata[user_id]=<one of 1M> (1 match)', db, () => ({ ...base, metadata: { user_id: String(1 + ((n++ * 7919) % walletCount)) } }));
  await time('metadata[region]=r7 (2% match), first page', db, () => ({ ...base, metadata: { region: 'r7' } }));
  await time('metadata[plan]=plan-3 (10% match), first page', db, () => ({ ...base, metadata: { plan: 'plan-3' } }));
  const mid = await pool.query<{ us: string; id: string }>(`SELECT ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS us, id::text
    FROM wallets WHERE tenant = 'big' ORDER BY created_at DESC, id DESC OFFSET ${Math.floor(walletCount / 2)} LIMIT 1`);
  const before = { createdUs: mid.rows[0]!.us, id: mid.rows[0]!.id };
  await time('metadata[plan]=plan-3, a page after a cursor half-way', db, () => ({ ...base, metadata: { plan: 'plan-3' }, before }));
  await time('no filter, first page', db, () => ({ ...base, metadata: {} }));
  const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM wallets w WHERE w.tenant = 'big'
    AND w.metadata @> '{"region": "r7"}' ORDER BY w.created_at DESC, w.id DESC LIMIT 51`);
  console.log(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
} finally {
  await db.destroy();
  await postgres.stop();
  rmSync(home, { recursive: true, force: true });
}
