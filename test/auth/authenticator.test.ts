/** The key cache's bounds with a fake key source and a fake clock (no database). */
import { describe, expect, it } from 'vitest';
import { generateKey, parseKey, bearerToken } from '../../src/auth/api-key.js';
import { Unauthenticated } from '../../src/auth/auth-errors.js';
import { Authenticator, type KeySource } from '../../src/auth/authenticator.js';
import type { KeyRecord } from '../../src/auth/key-store.js';
import { TokenBuckets } from '../../src/auth/token-bucket.js';

const silent = { level: 'silent', debug() {}, info() {}, warn() {}, error() {} };
const policy = { attemptsMax: 1, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 100 };
const limits = { ttlMs: 5000, entriesMax: 3, lookupsInFlightMax: 4, lastUsedFlushMs: 3_600_000 };

function fixture() {
  const key = generateKey();
  const records = new Map<string, KeyRecord>([[key.keyId, {
    tenant: 'acme', scopes: ['wallets:read'], secretSha256: key.secretSha256, expiresAt: null, revokedAt: null,
  }]]);
  let lookups = 0;
  const touched: string[][] = [];
  const source: KeySource = {
    lookup: async (id) => { lookups++; const r = records.get(id); return r && { ...r }; }, // a copy, as a query returns
    touch: async (ids) => { touched.push([...ids]); },
  };
  const clock = { now: 1_000_000 };
  const auth = new Authenticator(source, limits, policy, silent, () => clock.now);
  return { key, records, auth, clock, lookups: () => lookups, touched };
}

describe('key text', () => {
  it('is wsk_<16 hex>_<43 base64url> with 256 random bits, and parses back', () => {
    const key = generateKey();
    expect(key.key).toMatch(/^wsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseKey(key.key)).toEqual({ keyId: key.keyId, secret: key.secret });
    expect(Buffer.from(key.secret, 'base64url')).toHaveLength(32);
    for (const bad of ['', 'wsk_', key.key.slice(1), `${key.key}x`, key.key.replace('wsk_', 'wsl_'), key.key.toUpperCase()]) {
      expect(parseKey(bad), bad).toBeUndefined();
    }
    expect(bearerToken(`Bearer ${key.key}`)).toBe(key.key);
    expect(bearerToken(`bearer  ${key.key}`)).toBe(key.key);
    expect(bearerToken(`Basic ${key.key}`)).toBeUndefined();
  });
});

describe('Authenticator', () => {
  it('looks a key up once per TTL, refreshes ahead past half of it, and never uses an entry older than the TTL', async () => {
    const f = fixture();
    const header = `Bearer ${f.key.key}`;
    await expect(f.auth.authenticate(header)).resolves.toMatchObject({ tenant: 'acme', actor: f.key.keyId });
    for (let i = 0; i < 100; i++) await f.auth.authenticate(header);
    expect(f.lookups()).toBe(1);
    // Revoked in the database: still accepted until the entry is refreshed...
    f.records.get(f.key.keyId)!.revokedAt = new Date();
    f.clock.now += 2000;
    await f.auth.authenticate(header);
    expect(f.lookups()).toBe(1);
    // ...past half the TTL a background refresh starts (this request is still served from the entry)...
    f.clock.now += 600;
    await f.auth.authenticate(header);
    expect(f.lookups()).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    // ...and its result applies to the next request.
    await expect(f.auth.authenticate(header)).rejects.toBeInstanceOf(Unauthenticated);
  });

  it('refuses a key whose entry aged past the TTL until a fresh lookup says otherwise', async () => {
    const f = fixture();
    const header = `Bearer ${f.key.key}`;
    await f.auth.authenticate(header);
    f.records.get(f.key.keyId)!.revokedAt = new Date();
    f.clock.now += limits.ttlMs; // no request in between: no refresh ahead happened
    await expect(f.auth.authenticate(header)).rejects.toBeInstanceOf(Unauthenticated);
    expect(f.lookups()).toBe(2);
  });

  it('checks expiry on every request against the clock (exact, not bounded by the cache)', async () => {
    const f = fixture();
    f.records.get(f.key.keyId)!.expiresAt = new Date(f.clock.now + 100);
    const header = `Bearer ${f.key.key}`;
    await f.auth.authenticate(header);
    f.clock.now += 100;
    await expect(f.auth.authenticate(header)).rejects.toBeInstanceOf(Unauthenticated);
    expect(f.lookups()).toBe(1);
  });

  it('refuses a wrong secret for a known id, and caches unknown ids (bounded)', async () => {
    const f = fixture();
    await expect(f.auth.authenticate(`Bearer wsk_${f.key.keyId}_${'A'.repeat(43)}`)).rejects.toBeInstanceOf(Unauthenticated);
    const unknown = generateKey();
    await expect(f.auth.authenticate(`Bearer ${unknown.key}`)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(f.auth.authenticate(`Bearer ${unknown.key}`)).rejects.toBeInstanceOf(Unauthenticated);
    expect(f.lookups()).toBe(2);
    // Malformed keys never reach the source.
    await expect(f.auth.authenticate('Bearer wsk_nope')).rejects.toBeInstanceOf(Unauthenticated);
    expect(f.lookups()).toBe(2);
    for (let i = 0; i < 10; i++) await f.auth.authenticate(`Bearer ${generateKey().key}`).catch(() => {});
    expect((f.auth as unknown as { entries: Map<string, unknown> }).entries.size).toBeLessThanOrEqual(limits.entriesMax);
  });

  it('shares one lookup among concurrent requests for the same key', async () => {
    const f = fixture();
    await Promise.all(Array.from({ length: 50 }, () => f.auth.authenticate(`Bearer ${f.key.key}`)));
    expect(f.lookups()).toBe(1);
  });

  it('records last use once per key per flush, not per request', async () => {
    const f = fixture();
    for (let i = 0; i < 20; i++) await f.auth.authenticate(`Bearer ${f.key.key}`);
    await f.auth.close();
    expect(f.touched).toEqual([[f.key.keyId]]);
  });
});

describe('TokenBuckets', () => {
  it('allows the burst, then refuses with Retry-After until tokens come back at the sustained rate', () => {
    let now = 0;
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3 }, () => now);
    expect([1, 2, 3].map(() => buckets.take('k').ok)).toEqual([true, true, true]);
    expect(buckets.take('k')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.take('other').ok).toBe(true); // per key
    now += 500; // one token back
    expect(buckets.take('k').ok).toBe(true);
    expect(buckets.take('k').ok).toBe(false);
    now += 10_000; // refilled, never beyond the burst
    expect([1, 2, 3, 4].map(() => buckets.take('k').ok)).toEqual([true, true, true, false]);
  });

  it('a slow rate answers a longer Retry-After; rate 0 is no limit', () => {
    const slow = new TokenBuckets({ ratePerSecond: 0.1 as number, burst: 1 }, () => 0);
    slow.take('k');
    expect(slow.take('k')).toEqual({ ok: false, retryAfterSeconds: 10 });
    const off = new TokenBuckets({ ratePerSecond: 0, burst: 1 }, () => 0);
    for (let i = 0; i < 1000; i++) expect(off.take('k').ok).toBe(true);
  });
});
