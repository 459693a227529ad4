/**
 * Upgrading to the operator scope (changeset 020) on a database that has keys: the tenant of the
 * first `npm start`'s key becomes the operator tenant and its admin keys gain operator (they could
 * read /metrics before and still can); every other tenant's admin key keeps admin only.
 */
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { FIRST_RUN_ACTOR } from '../../src/auth/first-run-key.js';
import { createKey } from '../../src/auth/key-store.js';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate, projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';

const viaPgbouncer = /^(1|true)$/i.test(process.env.TEST_VIA_PGBOUNCER ?? '');
const home = mkdtempSync(join(tmpdir(), 'wallet-operator-upgrade-'));
chmodSync(home, 0o755);
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe.skipIf(viaPgbouncer)('the upgrade to the operator scope (changeset 020)', () => {
  it('makes the first-run tenant the operator and grants operator to its admin keys only', async () => {
    const copy = join(home, 'db');
    cpSync(join(projectRoot, 'db', 'changelog'), join(copy, 'changelog'), { recursive: true });
    const master = join(copy, 'changelog', 'db.changelog-master.yaml');
    const full = readFileSync(master, 'utf8');
    const include020 = /\s+- include:\s+file: changes\/020-operator-scope\.sql\s+relativeToChangelogFile: true/;
    expect(full).toMatch(include020);
    writeFileSync(master, full.replace(include020, '\n'));
    const postgres = await startEmbeddedPostgres({ dataDir: join(home, 'postgres'), port: await freePort() });
    const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
    try {
      await migrate(postgres.url, { forceUnlock: true, searchPath: copy });
      // As the first start and `npm run keys` made them before 020 (every scope there was then).
      const firstRun = await createKey(pool, { tenant: 'default', scopes: ['wallets:read', 'wallets:write', 'admin'], actor: FIRST_RUN_ACTOR });
      const defaultReader = await createKey(pool, { tenant: 'default', scopes: ['wallets:read'], actor: 'ops' });
      const tenantAdmin = await createKey(pool, { tenant: 'acme', scopes: ['wallets:read', 'admin'], actor: 'ops' });

      writeFileSync(master, full);
      await migrate(postgres.url, { forceUnlock: true, searchPath: copy });

      const tenants = await pool.query<{ name: string }>('SELECT name FROM tenants WHERE operator');
      expect(tenants.rows).toEqual([{ name: 'default' }]);
      const scopes = async (id: string) =>
        (await pool.query<{ scopes: string[] }>('SELECT scopes FROM api_keys WHERE id = $1', [id])).rows[0]!.scopes;
      expect(await scopes(firstRun.key_id)).toEqual(['wallets:read', 'wallets:write', 'admin', 'operator']);
      expect(await scopes(defaultReader.key_id)).toEqual(['wallets:read']);
      expect(await scopes(tenantAdmin.key_id)).toEqual(['wallets:read', 'admin']);
      const audit = await pool.query('SELECT actor, action, key_id, tenant FROM api_key_audit WHERE actor LIKE $1 ORDER BY id', ['changeset%']);
      expect(audit.rows).toEqual([
        { actor: 'changeset 020-operator-scope', action: 'designate-operator', key_id: null, tenant: 'default' },
        { actor: 'changeset 020-operator-scope', action: 'grant-operator', key_id: firstRun.key_id, tenant: 'default' },
      ]);
      await expect(createKey(pool, { tenant: 'acme', scopes: ['operator'], actor: 'ops' })).rejects.toThrow(/not it \(it is default\)/);
    } finally {
      await pool.end();
      await postgres.stop();
    }
  }, 180_000); // two Liquibase runs (a JVM each) on 2 shared cores
});
