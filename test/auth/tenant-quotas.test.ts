/**
 * Tenant quotas that hold across processes (issue 25, item 6): requests per second per tenant and
 * per key, shared through PostgreSQL by two apps with pools of their own (as two processes or
 * machines would be); the wallet quota; the CLI that sets them; the retention of refusals.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { setTenantLimits } from '../../src/auth/tenant-limits-store.js';
import { projectRoot } from '../../src/db/migrations.js';
import { pruneRefusals } from '../../src/ledger/refusal-pruner.js';
import {
  adminPool, authRequired, bearer, createWallet, makeKey, newTenant, operate, type UsedTestApp, useTestApp,
} from '../support/test-app.js';

const execFileAsync = promisify(execFile);

async function limit(tenant: string, change: Parameters<typeof setTenantLimits>[2]): Promise<void> {
  const pool = adminPool();
  try {
    await setTenantLimits(pool, tenant, change, 'test');
  } finally {
    await pool.end();
  }
}

/** Sends `get` from every app at once, as fast as each answers, until `ms` passed; counts the status codes. */
async function hammer(apps: UsedTestApp[], headers: Record<string, string>[], url: string, ms: number): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  const end = Date.now() + ms;
  const lanes = apps.flatMap((t) => headers.flatMap((h) => Array.from({ length: 4 }, () => ({ t, h }))));
  await Promise.all(lanes.map(async ({ t, h }) => {
    while (Date.now() < end) {
      const res = await t.app.inject({ method: 'GET', url, headers: h });
      counts.set(res.statusCode, (counts.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode === 429) expect(res.headers['retry-after']).toBe('1');
    }
  }));
  return counts;
}

/** Per one-second window of `subject`, what the apps were granted in total (the database's record). */
async function grantsOf(subject: string): Promise<number[]> {
  const pool = adminPool();
  try {
    const { rows } = await pool.query<{ granted: number }>(
      'SELECT granted FROM rate_leases WHERE subject = $1 ORDER BY window_start', [subject]);
    return rows.map((r) => r.granted);
  } finally {
    await pool.end();
  }
}

describe.skipIf(!authRequired)('tenant quotas across processes', () => {
  // Two apps, each with its own pool, cache and limiter: two processes as far as quotas go.
  const one = useTestApp();
  const two = useTestApp();

  it('a tenant\'s requests per second hold over two processes: never past the limit in a window, near it under load', async () => {
    const tenant = newTenant('rps');
    const key = bearer((await makeKey(tenant, ['wallets:read', 'wallets:write'])).key);
    await limit(tenant, { requestsPerSecond: 40 }); // before the tenant's first request: no process has cached "none"
    const wallet = await createWallet(one.app, key);
    const counts = await hammer([one, two], [key], `/api/v1/wallets/${wallet}`, 3200);
    const grants = await grantsOf(`tenant:${tenant}`);
    expect(grants.length).toBeGreaterThanOrEqual(3);
    // Never past the limit in a window, whatever each process saw.
    for (const granted of grants) expect(granted).toBeLessThanOrEqual(40);
    // A 429 comes only once the database says a window's budget is spent, i.e. granted reached 40.
    expect(counts.get(429) ?? 0).toBeGreaterThan(0);
    expect(Math.max(...grants)).toBe(40);
    // What was granted was admitted, but for at most one unspent slice (2 requests, 5% of 40) per
    // process and window: the sum over processes stays within 10% of the limit.
    const granted = grants.reduce((a, b) => a + b, 0);
    const admitted = counts.get(200) ?? 0;
    expect(admitted).toBeLessThanOrEqual(granted);
    expect(admitted).toBeGreaterThanOrEqual(granted - grants.length * 2 * 2);
    expect([...counts.keys()].sort()).toEqual([200, 429]);
    console.log(`[tenant-rps] limit 40/s, two apps, 8 lanes: granted per window ${JSON.stringify(grants)}, ` +
      `admitted ${admitted} of ${granted} granted, refused ${counts.get(429)}`);
  });

  it('each key of a tenant has its own shared budget (--key-rps)', async () => {
    const tenant = newTenant('keyrps');
    const keys = [await makeKey(tenant, ['wallets:read', 'wallets:write']), await makeKey(tenant, ['wallets:read'])];
    await limit(tenant, { keyRequestsPerSecond: 20 });
    const wallet = await createWallet(one.app, bearer(keys[0]!.key));
    await hammer([one, two], keys.map((k) => bearer(k.key)), `/api/v1/wallets/${wallet}`, 2200);
    for (const k of keys) {
      const grants = await grantsOf(`key:${k.key_id}`);
      expect(grants.length).toBeGreaterThanOrEqual(2);
      for (const granted of grants) expect(granted).toBeLessThanOrEqual(20);
    }
    expect(await grantsOf(`tenant:${tenant}`)).toEqual([]); // no tenant-wide limit set
  });

  it('a tenant without limits costs no lease at all', async () => {
    const tenant = newTenant('free');
    const key = bearer((await makeKey(tenant, ['wallets:read', 'wallets:write'])).key);
    const wallet = await createWallet(one.app, key);
    for (let i = 0; i < 20; i++) expect((await two.app.inject({ method: 'GET', url: `/api/v1/wallets/${wallet}`, headers: key })).statusCode).toBe(200);
    expect(await grantsOf(`tenant:${tenant}`)).toEqual([]);
  });

  it('the wallet quota holds over two processes creating at once: 403 naming it, nothing stored past it', async () => {
    const tenant = newTenant('quota');
    const key = bearer((await makeKey(tenant, ['wallets:read', 'wallets:write'])).key);
    await createWallet(one.app, key); // counted when the quota is set
    await limit(tenant, { walletsMax: 4 });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      (i % 2 ? one : two).app.inject({ method: 'POST', url: '/api/v1/wallets', headers: key })));
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, ...Array<number>(7).fill(403)]);
    const refused = answers.find((a) => a.statusCode === 403)!;
    expect(refused.json()).toEqual({ detail: 'Wallet quota reached: this tenant may create at most 4 wallets; ask the operator to raise it' });
    const pool = adminPool();
    try {
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM wallets WHERE tenant = $1', [tenant]);
      expect(rows[0].n).toBe(4);
      // Raising it lets the next one in; removing it lifts the bound.
      await setTenantLimits(pool, tenant, { walletsMax: 5 }, 'test');
      expect((await one.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: key })).statusCode).toBe(200);
      expect((await one.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: key })).statusCode).toBe(403);
      await setTenantLimits(pool, tenant, { walletsMax: null }, 'test');
      expect((await two.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: key })).statusCode).toBe(200);
    } finally {
      await pool.end();
    }
  });

  it('npm run keys -- limits sets, shows and removes them; list shows them; a bad value is a usage error', async () => {
    const tenant = newTenant('cli');
    await makeKey(tenant, ['wallets:read']);
    const env = { ...process.env, MIGRATION_DATABASE_URL: inject('adminDatabaseUrl'), DATABASE_URL: '', KEYS_ACTOR: 'ci-test' };
    const keys = async (...args: string[]) => (await execFileAsync(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args],
      { cwd: projectRoot, env, timeout: 60_000 })).stdout;
    const set = JSON.parse(await keys('limits', '--tenant', tenant, '--rps', '100', '--key-rps', '10', '--wallets', '1000', '--json'));
    expect(set).toMatchObject({ tenant, requests_per_second: 100, key_requests_per_second: 10, wallets_max: 1000, wallets_used: 0 });
    expect(await keys('limits', '--tenant', tenant, '--rps', 'none'))
      .toBe(`limits of ${tenant}: unlimited requests/s, 10 per key, wallets 0 of 1000\n`);
    const listed = JSON.parse(await keys('list', '--tenant', tenant, '--json')) as { tenant_limits: unknown }[];
    expect(listed[0]!.tenant_limits).toMatchObject({ requests_per_second: null, key_requests_per_second: 10 });
    await expect(keys('limits', '--tenant', tenant, '--rps', '0')).rejects.toMatchObject({ code: 2 });
    await expect(keys('limits', '--tenant', newTenant('nobody'), '--rps', '5')).rejects.toMatchObject({ code: 1 });
  }, 240_000); // five runs of the CLI (a tsx start each)
});

describe('retention of refusals', () => {
  const t = useTestApp();

  it('deletes refused rows past the retention once their event left the outbox; never an applied row', async () => {
    const wallet = await createWallet(t.app);
    const key = { 'idempotency-key': `refused-${randomUUID()}` };
    const refused = await operate(t.app, wallet, { operation_type: 'WITHDRAW', amount: '5.00' }, key);
    expect(refused.statusCode).toBe(400);
    expect((await operate(t.app, wallet, { operation_type: 'DEPOSIT', amount: '1.00' }, { 'idempotency-key': `ok-${randomUUID()}` })).statusCode).toBe(200);
    const pool = adminPool();
    try {
      await pool.query(`UPDATE operations SET created_at = now() - interval '3 hours' WHERE wallet_id = $1`, [wallet]);
      // While its outbox row is there (a subscriber may still need the event), it stays.
      await pruneRefusals(t.db.kysely, 2, 1000);
      expect((await pool.query('SELECT status FROM operations WHERE wallet_id = $1 ORDER BY seq', [wallet])).rows)
        .toEqual([{ status: 'REJECTED' }, { status: 'SUCCESS' }]);
      await pool.query('DELETE FROM events WHERE wallet_id = $1', [wallet]); // as events_prune does after EVENTS_RETENTION_HOURS
      expect(await pruneRefusals(t.db.kysely, 4, 1000)).toMatchObject({ operations: 0 }); // younger than 4 h: kept
      expect((await pruneRefusals(t.db.kysely, 2, 1000)).operations).toBeGreaterThanOrEqual(1);
      expect((await pool.query('SELECT status FROM operations WHERE wallet_id = $1 ORDER BY seq', [wallet])).rows)
        .toEqual([{ status: 'SUCCESS' }]);
    } finally {
      await pool.end();
    }
    // The key is free again: its replay is judged anew (refused again, on the balance of now).
    const again = await operate(t.app, wallet, { operation_type: 'WITHDRAW', amount: '5.00' }, key);
    expect(again.statusCode).toBe(400);
    expect(again.headers['idempotency-replayed']).toBeUndefined();
  });
});
