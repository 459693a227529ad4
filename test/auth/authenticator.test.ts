/** The key cache's bounds with a fake key source and a fake clock (no database). */
import { describe, expect, it } from 'vitest';
import { generateKey, parseKey, bearerToken } from '../../src/auth/api-key.js';
import { RateLimited, Unauthenticated } from '../../src/auth/auth-errors.js';
import { Overloaded } from '../../src/ledger/errors.js';
import { Authenticator, type KeySource } from '../../src/auth/authenticator.js';
import type { KeyRecord } from '../../src/auth/key-store.js';
import { TokenBuckets } from '../../src/auth/token-bucket.js';

const silent = { level: 'silent', debug() {}, info() {}, warn() {}, error() {} };
const policy = { attemptsMax: 1, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 100 };
const limits = {
  ttlMs: 5000, staleMs: 5000, entriesMax: 3, lookupsInFlightMax: 4, lastUsedFlushMs: 3_600_000, failuresPerSecond: 1, failuresBurst: 20,
};
const ip = '192.0.2.1';

function fixture(overrides: Partial<typeof limits> = {}) {
  const key = generateKey();
  const records = new Map<string, KeyRecord>([[key.keyId, {
    tenant: 'acme', scopes: ['wallets:read'], secretSha256: key.secretSha256, expiresAt: null, revokedAt: null,
  }]]);
  let lookups = 0;
  const touched: string[][] = [];
  /** While set, lookups wait for it: the database is slow (or busy with someone else's lookups). */
  const gate: { held: Promise<void> | null; release: () => void } = { held: null, release: () => {} };
  const source: KeySource = {
    lookup: async (id) => {
      lookups++;
      if (gate.held) await gate.held;
      const r = records.get(id);
      return r && { ...r }; // a copy, as a query returns
    },
    touch: async (ids) => { touched.push([...ids]); },
  };
  const hold = () => { gate.held = new Promise((resolve) => { gate.release = () => { gate.held = null; resolve(); }; }); };
  const clock = { now: 1_000_000 };
  const auth = new Authenticator(source, { ...limits, ...overrides }, policy, silent, () => clock.now);
  return { key, records, auth, clock, lookups: () => lookups, touched, hold, release: () => gate.release() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

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
    await expect(f.auth.authenticate(header, ip)).resolves.toMatchObject({ tenant: 'acme', actor: f.key.keyId });
    for (let i = 0; i < 100; i++) await f.auth.authenticate(header, ip);
    expect(f.lookups()).toBe(1);
    // Revoked in the database: still accepted until the entry is refreshed...
    f.records.get(f.key.keyId)!.revokedAt = new Date();
    f.clock.now += 2000;
    await f.auth.authenticate(header, ip);
    expect(f.lookups()).toBe(1);
    // ...past half the TTL a background refresh starts (this request is still served from the entry)...
    f.clock.now += 600;
    await f.auth.authenticate(header, ip);
    expect(f.lookups()).toBe(2);
    await settle();
    // ...and its result applies to the next request.
    await expect(f.auth.authenticate(header, ip)).rejects.toBeInstanceOf(Unauthenticated);
  });

  it('past the TTL serves the entry while one refresh runs, and never past TTL + stale', async () => {
    const f = fixture();
    const header = `Bearer ${f.key.key}`;
    await f.auth.authenticate(header, ip);
    f.records.get(f.key.keyId)!.revokedAt = new Date();
    f.hold(); // the refresh will wait for the database
    f.clock.now += limits.ttlMs; // no request in between: no refresh ahead happened
    for (let i = 0; i < 10; i++) expect(f.auth.authenticateNow(header, ip)).toMatchObject({ tenant: 'acme' }); // synchronous: stale
    expect(f.lookups()).toBe(2); // one refresh for all of them
    f.release();
    await settle();
    await expect(f.auth.authenticate(header, ip)).rejects.toBeInstanceOf(Unauthenticated);
    expect(f.lookups()).toBe(2);
    // An entry older than TTL + stale is never used: the request waits for the lookup.
    f.records.get(f.key.keyId)!.revokedAt = null;
    f.clock.now += limits.ttlMs + limits.staleMs;
    const waiting = f.auth.authenticateNow(header, ip);
    expect(waiting).toBeInstanceOf(Promise);
    await expect(waiting).resolves.toMatchObject({ tenant: 'acme' });
    expect(f.lookups()).toBe(3);
  });

  it('keeps serving and refreshing a known key while unknown ids hold every other lookup slot', async () => {
    const f = fixture({ failuresPerSecond: 0 });
    const header = `Bearer ${f.key.key}`;
    await f.auth.authenticate(header, ip);
    f.hold();
    const flood = Array.from({ length: limits.lookupsInFlightMax }, () => f.auth.authenticate(`Bearer ${generateKey().key}`, ip));
    await expect(f.auth.authenticate(`Bearer ${generateKey().key}`, ip)).rejects.toBeInstanceOf(Overloaded); // their slots are full
    f.clock.now += limits.ttlMs + 1;
    expect(f.auth.authenticateNow(header, ip)).toMatchObject({ tenant: 'acme' }); // stale, refresh started in its own slot
    expect(f.lookups()).toBe(1 + limits.lookupsInFlightMax + 1);
    f.release();
    await Promise.allSettled(flood);
    await settle();
    f.clock.now += limits.ttlMs / 2 - 1; // the refreshed entry is fresh: no new lookup
    expect(f.auth.authenticateNow(header, ip)).toMatchObject({ tenant: 'acme' });
    expect(f.lookups()).toBe(1 + limits.lookupsInFlightMax + 1);
  });

  it('never lets unknown ids evict a known key', async () => {
    const f = fixture({ failuresPerSecond: 0 });
    const header = `Bearer ${f.key.key}`;
    await f.auth.authenticate(header, ip);
    for (let i = 0; i < 10 * limits.entriesMax; i++) await f.auth.authenticate(`Bearer ${generateKey().key}`, ip).catch(() => {});
    const lookups = f.lookups();
    expect(f.auth.authenticateNow(header, ip)).toMatchObject({ tenant: 'acme' });
    expect(f.lookups()).toBe(lookups);
  });

  it('rate-limits failed authentications per client address (an IPv6 /64 counts as one), before any lookup', async () => {
    const f = fixture();
    const header = `Bearer ${f.key.key}`;
    await f.auth.authenticate(header, ip); // known before the attack
    const attacker = '2001:db8:1:2::1';
    for (let i = 0; i < limits.failuresBurst; i++) {
      await expect(f.auth.authenticate(`Bearer ${generateKey().key}`, i % 2 ? attacker : '2001:db8:1:2:ffff::9')).rejects.toBeInstanceOf(Unauthenticated);
    }
    const lookups = f.lookups();
    const refused = f.auth.authenticate(`Bearer ${generateKey().key}`, '2001:0db8:0001:0002:0:0:0:7');
    await expect(refused).rejects.toBeInstanceOf(RateLimited);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 1, limit: 'address' });
    await expect(f.auth.authenticate('Bearer wsk_malformed', attacker)).rejects.toBeInstanceOf(RateLimited);
    expect(f.lookups()).toBe(lookups); // no lookup for a limited address
    // A key whose secret matches its known entry passes from the same /64; other addresses are not limited.
    expect(f.auth.authenticateNow(header, '2001:db8:1:2::5')).toMatchObject({ tenant: 'acme' });
    await expect(f.auth.authenticate(`Bearer ${generateKey().key}`, '2001:db8:1:3::1')).rejects.toBeInstanceOf(Unauthenticated);
    await expect(f.auth.authenticate(`Bearer ${generateKey().key}`, `::ffff:${ip}`)).rejects.toBeInstanceOf(Unauthenticated);
    f.clock.now += 1000; // one failure's token back
    await expect(f.auth.authenticate(`Bearer ${generateKey().key}`, attacker)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(f.auth.authenticate(`Bearer ${generateKey().key}`, attacker)).rejects.toBeInstanceOf(RateLimited);
  });

  it('does not count a request without a key as a failure', async () => {
    const f = fixture({ failuresBurst: 1 });
    for (let i = 0; i < 5; i++) expect(() => f.auth.authenticateNow(undefined, ip)).toThrow(Unauthenticated);
    await expect(f.auth.authenticate(`Bearer ${generateKey().key}`, ip)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(f.auth.authenticate(`Bearer ${generateKey().key}`, ip)).rejects.toBeInstanceOf(RateLimited);
  });

  it('checks expiry on every request against the clock (exact, not bounded by the cache)', async () => {
    const f = fixture();
    f.records.get(f.key.keyId)!.expiresAt = new Date(f.clock.now + 100);
    const header = `Bearer ${f.key.key}`;
    await f.auth.authenticate(header, ip);
    f.clock.now += 100;
    await expect(f.auth.authenticate(header, ip)).rejects.toBeInstanceOf(Unauthenticated);
    expect(f.lookups()).toBe(1);
  });

  it('refuses a wrong secret for a known id, and caches unknown ids (bounded)', async () => {
    const f = fixture();
    await expect(f.auth.authenticate(`Bearer wsk_${f.key.keyId}_${'A'.repeat(43)}`, ip)).rejects.toBeInstanceOf(Unauthenticated);
    const unknown = generateKey();
    await expect(f.auth.authenticate(`Bearer ${unknown.key}`, ip)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(f.auth.authenticate(`Bearer ${unknown.key}`, ip)).rejects.toBeInstanceOf(Unauthenticated);
    expect(f.lookups()).toBe(2);
    // Malformed keys never reach the source.
    await expect(f.auth.authenticate('Bearer wsk_nope', ip)).rejects.toBeInstanceOf(Unauthenticated);
    expect(f.lookups()).toBe(2);
    for (let i = 0; i < 10; i++) await f.auth.authenticate(`Bearer ${generateKey().key}`, ip).catch(() => {});
    expect((f.auth as unknown as { unknown: Map<string, unknown> }).unknown.size).toBeLessThanOrEqual(limits.entriesMax);
  });

  it('shares one lookup among concurrent requests for the same key', async () => {
    const f = fixture();
    await Promise.all(Array.from({ length: 50 }, () => f.auth.authenticate(`Bearer ${f.key.key}`, ip)));
    expect(f.lookups()).toBe(1);
  });

  it('records last use once per key per flush, not per request', async () => {
    const f = fixture();
    for (let i = 0; i < 20; i++) await f.auth.authenticate(`Bearer ${f.key.key}`, ip);
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
