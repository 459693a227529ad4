/**
 * apply_operations_v4 lives alone in a runOnChange changeset (db/changelog/functions/): editing
 * the file re-runs it on a database that already applied it, so a fix replaces the body in place,
 * with no new changeset restating it and no checksum failure.
 */
import { cpSync, mkdtempSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate, projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';

// A cluster of its own, never the suite's database: the pass through PgBouncer would only repeat it.
const viaPgbouncer = /^(1|true)$/i.test(process.env.TEST_VIA_PGBOUNCER ?? '');
const home = mkdtempSync(join(tmpdir(), 'wallet-function-file-'));
chmodSync(home, 0o755);
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe.skipIf(viaPgbouncer)('the apply_operations_v4 function file', () => {
  it('is re-run by Liquibase when edited, and the database then has the edited body', async () => {
    const copy = join(home, 'db');
    cpSync(join(projectRoot, 'db', 'changelog'), join(copy, 'changelog'), { recursive: true });
    const postgres = await startEmbeddedPostgres({ dataDir: join(home, 'postgres'), port: await freePort() });
    const pool = new pg.Pool({ connectionString: postgres.url, max: 1 });
    try {
      await migrate(postgres.url, { forceUnlock: true, searchPath: copy });
      const body = async () => (await pool.query<{ src: string }>(
        `SELECT prosrc AS src FROM pg_proc WHERE proname = 'apply_operations_v4'`)).rows.map((r) => r.src);
      expect((await body())[0]).toContain('apply_operations_v4: every operation needs');

      const file = join(copy, 'changelog', 'functions', 'apply-operations-v4.sql');
      writeFileSync(file, readFileSync(file, 'utf8').replace('apply_operations_v4: every operation needs', 'apply_operations_v4 (edited): every operation needs'));
      const said: string[] = [];
      await migrate(postgres.url, { forceUnlock: true, searchPath: copy, log: (m) => said.push(m) });
      expect(said.at(-1)).toMatch(/^re-ran 1 changed runOnChange file \(Liquibase \d+ ms\): apply-operations-v4\.sql::apply-operations-v4 \(re-run\)$/);
      const after = await body();
      expect(after).toHaveLength(1); // replaced, not a second function
      expect(after[0]).toContain('apply_operations_v4 (edited): every operation needs');
      const row = await pool.query<{ exectype: string; n: string }>(`SELECT exectype, (SELECT count(*) FROM databasechangelog
        WHERE id = 'apply-operations-v4')::text AS n FROM databasechangelog WHERE id = 'apply-operations-v4'`);
      expect(row.rows).toEqual([{ exectype: 'RERAN', n: '1' }]);
      // the grant survives CREATE OR REPLACE
      const grant = await pool.query<{ ok: boolean }>(`SELECT has_function_privilege('wallet_app',
        'apply_operations_v4(uuid[], uuid[], uuid[], uuid[], int[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean)',
        'EXECUTE') AS ok`);
      expect(grant.rows[0]!.ok).toBe(true);
    } finally {
      await pool.end();
      await postgres.stop();
    }
  }, 180_000); // two Liquibase runs (a JVM each) on 2 shared cores
});
