/**
 * `operator` apart from `admin` (issue 25, item 4): the operational endpoints name every tenant's
 * busiest wallets, so they need the operator scope, which only keys of the one operator tenant may
 * hold: refused by `npm run keys` and createKey with a message, and by the database's foreign key.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { createKey, OperatorScopeRefused, operatorTenant } from '../../src/auth/key-store.js';
import { projectRoot } from '../../src/db/migrations.js';
import { adminPool, authRequired, bearer, makeKey, makeOperatorKey, newTenant, useTestApp } from '../support/test-app.js';

const execFileAsync = promisify(execFile);
const operational = ['/metrics', '/dashboard/data'];

describe.skipIf(!authRequired)('operator scope', () => {
  const t = useTestApp();

  it('an ordinary tenant\'s admin key gets 403 on /metrics and /dashboard/data; an operator key 200', async () => {
    const admin = await makeKey(newTenant(), ['wallets:read', 'wallets:write', 'admin']);
    const operator = await makeOperatorKey();
    for (const url of operational) {
      const refused = await t.app.inject({ method: 'GET', url, headers: bearer(admin.key) });
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json()).toEqual({ detail: 'This API key lacks the scope operator' });
      expect((await t.app.inject({ method: 'GET', url, headers: bearer(operator.key) })).statusCode, url).toBe(200);
    }
    // admin still administers the tenant's own webhooks.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: bearer(admin.key) })).statusCode).toBe(200);
  });

  it('refuses the operator scope for a key of any other tenant, in code and in the database', async () => {
    const pool = adminPool();
    try {
      await makeOperatorKey(); // there is an operator tenant
      const operatorName = await operatorTenant(pool);
      const tenant = newTenant();
      for (const designateOperator of [false, true]) {
        await expect(createKey(pool, { tenant, scopes: ['admin', 'operator'], actor: 'test', designateOperator }))
          .rejects.toBeInstanceOf(OperatorScopeRefused);
      }
      await pool.query('INSERT INTO tenants (name) VALUES ($1)', [tenant]).catch(() => undefined);
      await expect(pool.query(`INSERT INTO api_keys (id, tenant, scopes, secret_sha256) VALUES ('00000000000000a1', $1, '{operator}', $2)`,
        [tenant, 'a'.repeat(64)])).rejects.toMatchObject({ code: '23503', constraint: 'api_keys_operator_tenant' });
      const ordinary = await makeKey(tenant, ['admin']);
      await expect(pool.query(`UPDATE api_keys SET scopes = '{admin,operator}' WHERE id = $1`, [ordinary.key_id]))
        .rejects.toMatchObject({ code: '23503' });
      await expect(pool.query('UPDATE tenants SET operator = true WHERE name = $1', [tenant])).rejects.toMatchObject({ code: '23505' });
      await expect(pool.query('UPDATE tenants SET operator = false WHERE name = $1', [operatorName])).rejects.toMatchObject({ code: '23503' });
    } finally {
      await pool.end();
    }
  });

  it('npm run keys -- create --operator makes an operator key; --scopes operator for another tenant is refused', async () => {
    const env = { ...process.env, MIGRATION_DATABASE_URL: inject('adminDatabaseUrl'), DATABASE_URL: '', KEYS_ACTOR: 'ci-test' };
    const keys = async (...args: string[]) => (await execFileAsync(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args],
      { cwd: projectRoot, env, timeout: 60_000 })).stdout;
    const created = JSON.parse(await keys('create', '--operator', '--json')) as { key: string; tenant: string; scopes: string[] };
    const pool = adminPool();
    const operatorName = await operatorTenant(pool).finally(() => pool.end());
    expect(created).toMatchObject({ tenant: operatorName, scopes: ['operator'] });
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(created.key) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: bearer(created.key) })).statusCode).toBe(403);
    const tenant = newTenant('cli');
    await expect(keys('create', '--tenant', tenant, '--scopes', 'admin,operator')).rejects.toMatchObject({ code: 1,
      stderr: expect.stringContaining(`the operator scope is only for keys of the operator tenant; ${tenant} is not it`) });
    await expect(keys('create', '--operator', '--tenant', tenant)).rejects.toMatchObject({ code: 1 });
  });
});
