/**
 * Keys over time, on real PostgreSQL: a revocation reaches two app instances within the cache
 * bound (KEY_CACHE_TTL_MS, measured here with the default), rotation keeps the old key for the
 * overlap only, last use is recorded coarsely, the rate limit answers 429 then recovers, and
 * `npm run keys` creates, lists, rotates and revokes with an audit trail.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { revokeKey, rotateKey } from '../../src/auth/key-store.js';
import { loadConfig } from '../../src/config/config.js';
import { projectRoot } from '../../src/db/migrations.js';
import {
  adminPool, authRequired, bearer, createWallet, makeKey, newTenant, type UsedTestApp, useTestApp, waitFor,
} from '../support/test-app.js';

const execFileAsync = promisify(execFile);
const defaultTtlMs = loadConfig({}).auth.keyCacheTtlMs;

describe.skipIf(!authRequired)('revocation across app instances', () => {
  const a = useTestApp();
  const b = useTestApp();

  it(`a revoked key is refused by every instance within KEY_CACHE_TTL_MS (${defaultTtlMs} ms)`, async () => {
    const key = await makeKey(a.tenant, ['wallets:read', 'wallets:write']);
    const wallet = await createWallet(a.app);
    const get = (t: UsedTestApp) => t.app.inject({ method: 'GET', url: `/api/v1/wallets/${wallet}`, headers: bearer(key.key) });
    // Both instances have the key cached (and keep using it, as a busy client would).
    expect((await get(a)).statusCode).toBe(200);
    expect((await get(b)).statusCode).toBe(200);
    const admin = adminPool();
    const revokedAt = performance.now();
    await revokeKey(admin, key.key_id, 'test');
    await admin.end();
    const refusedAfter = await Promise.all([a, b].map((t) => waitFor(async () => {
      const res = await get(t);
      if (res.statusCode === 200) return undefined;
      expect(res.statusCode).toBe(401);
      return performance.now() - revokedAt;
    }, defaultTtlMs + 5000, 'the revocation to take effect')));
    console.log(`revocation took effect after ${refusedAfter.map((ms) => `${Math.round(ms)} ms`).join(' and ')} (bound ${defaultTtlMs} ms)`);
    for (const ms of refusedAfter) expect(ms).toBeLessThanOrEqual(defaultTtlMs + 250);
  });

  it('rotation: the new key works at once, the old one until the end of the overlap', async () => {
    const old = await makeKey(a.tenant, ['wallets:read']);
    const admin = adminPool();
    const rotated = await rotateKey(admin, old.key_id, 1500, 'test');
    const use = (k: string) => a.app.inject({ method: 'GET', url: '/api/v1/wallets/00000000-0000-4000-8000-000000000000', headers: bearer(k) });
    expect((await use(rotated.key)).statusCode).toBe(404); // authenticated: the wallet does not exist
    expect((await use(old.key)).statusCode).toBe(404);
    // Expiry is checked on every request (not bounded by the cache).
    await waitFor(async () => ((await use(old.key)).statusCode === 401 ? true : undefined), 5000, 'the old key to expire');
    expect((await use(rotated.key)).statusCode).toBe(404);
    const audit = await admin.query('SELECT action, key_id, detail FROM api_key_audit WHERE key_id = $1', [rotated.key_id]);
    await admin.end();
    expect(audit.rows).toEqual([{ action: 'rotate', key_id: rotated.key_id, detail: expect.objectContaining({ old_key_id: old.key_id }) }]);
  });
});

describe.skipIf(!authRequired)('last use and rate limit', () => {
  const t = useTestApp({ auth: { ...loadConfig({}).auth, lastUsedFlushMs: 1000, rateLimitPerSecond: 5, rateLimitBurst: 5 } });

  it('records last_used_at within the flush interval, not per request', async () => {
    const admin = adminPool();
    try {
      const lastUsed = async () => (await admin.query('SELECT last_used_at FROM api_keys WHERE id = $1', [t.key!.key_id])).rows[0].last_used_at;
      expect(await lastUsed()).toBeNull();
      await t.app.inject({ method: 'GET', url: '/api/v1/wallets/00000000-0000-4000-8000-000000000000' });
      const first = await waitFor(async () => (await lastUsed()) ?? undefined, 5000, 'last_used_at');
      expect(first).toBeInstanceOf(Date);
    } finally {
      await admin.end();
    }
  });

  it('answers 429 with Retry-After once a key exceeds its bucket, then recovers', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a full bucket (5 tokens at 5/s)
    const get = () => t.app.inject({ method: 'GET', url: '/api/v1/wallets/00000000-0000-4000-8000-000000000000' });
    // All at once: the bucket is taken in the auth hook, before any query, so the eight take their
    // tokens within a few milliseconds whatever the machine's load (one by one, each waiting for its
    // 404's query, a loaded machine could let a token refill in between).
    const answers = await Promise.all(Array.from({ length: 8 }, get));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([404, 404, 404, 404, 404, 429, 429, 429]);
    const limited = answers.find((r) => r.statusCode === 429)!;
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toEqual({ detail: 'Rate limit exceeded for this API key, retry after Retry-After seconds' });
    // Another key of the same tenant has its own bucket.
    const other = await makeKey(t.tenant, ['wallets:read']);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/wallets/00000000-0000-4000-8000-000000000000',
      headers: bearer(other.key) })).statusCode).toBe(404);
    await waitFor(async () => ((await get()).statusCode === 404 ? true : undefined), 3000, 'the bucket to refill');
  });
});

describe.skipIf(!authRequired)('npm run keys', () => {
  const env = { ...process.env, MIGRATION_DATABASE_URL: inject('adminDatabaseUrl'), DATABASE_URL: '', KEYS_ACTOR: 'ci-test' };
  const keys = async (...args: string[]) => {
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args],
      { cwd: projectRoot, env, timeout: 60_000 });
    return stdout;
  };

  it('create, list, rotate and revoke, each audited; the secret is printed once and never listed', async () => {
    const tenant = newTenant('cli');
    const created = JSON.parse(await keys('create', '--tenant', tenant, '--scopes', 'wallets:read,wallets:write',
      '--expires-in', '90d', '--description', 'cli test', '--json'));
    expect(created).toEqual({ key: expect.stringMatching(/^wsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/), key_id: expect.any(String),
      tenant, scopes: ['wallets:read', 'wallets:write'], expires_at: expect.any(String) });
    expect(Date.parse(created.expires_at) - Date.now()).toBeGreaterThan(89 * 86_400_000);

    const rotated = JSON.parse(await keys('rotate', created.key_id, '--overlap', '1h', '--json'));
    expect(rotated).toMatchObject({ old_key_id: created.key_id, tenant, scopes: ['wallets:read', 'wallets:write'] });
    await keys('revoke', rotated.key_id);

    const listText = await keys('list', '--tenant', tenant, '--json');
    expect(listText).not.toContain(created.key.slice(22));
    const listed = JSON.parse(listText) as { key_id: string; state: string; rotated_from: string | null }[];
    expect(listed.map((k) => [k.key_id, k.state])).toEqual([[created.key_id, 'active'], [rotated.key_id, 'revoked']]);
    expect(listed[1]!.rotated_from).toBe(created.key_id);

    const admin = adminPool();
    const audit = await admin.query('SELECT actor, action, key_id FROM api_key_audit WHERE tenant = $1 ORDER BY id', [tenant]);
    await admin.end();
    expect(audit.rows).toEqual([
      { actor: 'ci-test', action: 'create-tenant', key_id: null },
      { actor: 'ci-test', action: 'create', key_id: created.key_id },
      { actor: 'ci-test', action: 'rotate', key_id: rotated.key_id },
      { actor: 'ci-test', action: 'revoke', key_id: rotated.key_id },
    ]);
  });

  it('refuses unknown scopes, bad tenants and unknown keys with a message', async () => {
    await expect(keys('create', '--tenant', 'x', '--scopes', 'wallets:delete')).rejects.toMatchObject({ code: 2,
      stderr: expect.stringContaining('unknown or missing scope(s) wallets:delete') });
    await expect(keys('create', '--tenant', 'Bad Name', '--scopes', 'admin')).rejects.toMatchObject({ code: 2 });
    await expect(keys('revoke', '0123456789abcdef')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no key') });
  });
});
