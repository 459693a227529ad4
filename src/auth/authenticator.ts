/**
 * Who is calling: `Authorization: Bearer wsk_<key id>_<secret>` → the key's tenant and scopes.
 *
 * Keys are cached per process, by key id, for at most `ttlMs` (KEY_CACHE_TTL_MS, default 5 s):
 * - a request never waits for the database while its key's entry is younger than ttlMs; past half
 *   of it one background lookup refreshes the entry, so a key in steady use is never waited for;
 * - an entry older than ttlMs is never used: the request waits for a fresh lookup (one per key at a
 *   time, shared by every request that needs it). Hence the bound: a revocation, a new expiry or a
 *   deletion takes effect in every process within ttlMs (plus one lookup's duration). Expiry times
 *   themselves are checked on every request against the clock, so an expiry is exact.
 * - unknown key ids are cached too (negative entries), and the cache holds at most `entriesMax`
 *   entries; lookups in flight are bounded (beyond: 503), so random keys cannot occupy the pool.
 * The secret is hashed and compared with the stored hash in constant time on every request; the
 * cache holds hashes, never secrets. last_used_at is written once per key per flush interval.
 */
import { DatabaseUnavailable, Overloaded } from '../ledger/errors.js';
import { readWithRetry } from '../ledger/read-retry.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import { timingSafeEqual } from 'node:crypto';
import { bearerToken, type ParsedKey, parseKey, secretDigest } from './api-key.js';
import { Unauthenticated } from './auth-errors.js';
import type { KeyRecord } from './key-store.js';
import type { Scope } from './scopes.js';

/** The caller of a request, as the domain sees it (src/ledger/caller.ts) plus its scopes. */
export interface Principal {
  tenant: string;
  /** The key id (the ledger's actor); null under AUTH_REQUIRED=false. */
  actor: string | null;
  scopes: ReadonlySet<Scope>;
}

export interface AuthenticatorLimits {
  ttlMs: number;
  entriesMax: number;
  lookupsInFlightMax: number;
  lastUsedFlushMs: number;
}

export interface KeySource {
  lookup(keyId: string): Promise<KeyRecord | undefined>;
  touch(keyIds: readonly string[]): Promise<void>;
}

interface Entry {
  record: KeyRecord | undefined;
  /** Built once per lookup: requests share it (nothing is allocated per request). */
  principal: Principal | undefined;
  /** SHA-256 of the secret, as bytes (zeros for an unknown key: compared all the same). */
  hash: Buffer;
  fetchedMs: number;
  refreshing: Promise<Entry> | undefined;
}

const NO_HASH = Buffer.alloc(32);

export class Authenticator {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();
  private lookupsInFlight = 0;
  private used = new Set<string>();
  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    private readonly source: KeySource,
    private readonly limits: AuthenticatorLimits,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
    private readonly nowMs: () => number = () => Date.now(),
  ) {
    this.flushTimer = setInterval(() => void this.flushLastUsed(), limits.lastUsedFlushMs);
    this.flushTimer.unref();
  }

  /** The principal of an Authorization header; throws Unauthenticated (401) for anything else. */
  async authenticate(header: string | undefined): Promise<Principal> {
    return this.authenticateNow(header);
  }

  /**
   * The same, synchronously when the key's cache entry is fresh (the common case: no promise on
   * the hot path), else a promise that waits for the lookup. Throws Unauthenticated either way.
   */
  authenticateNow(header: string | undefined): Principal | Promise<Principal> {
    const token = bearerToken(header);
    if (token === undefined) throw new Unauthenticated(header !== undefined);
    const parsed = parseKey(token);
    if (!parsed) throw new Unauthenticated(true);
    const now = this.nowMs(); // one clock read per request, for the cache's age and the key's expiry
    const entry = this.freshEntry(parsed.keyId, now);
    if (entry) return this.verify(parsed, entry, now);
    return this.fetch(parsed.keyId).then((fetched) => this.verify(parsed, fetched, this.nowMs()));
  }

  private verify(parsed: ParsedKey, entry: Entry, now: number): Principal {
    // Hashed and compared even for an unknown id, so timing does not tell a known id from an unknown one.
    const matches = timingSafeEqual(secretDigest(parsed.secret), entry.hash);
    const record = entry.record;
    if (!record || !entry.principal || !matches || record.revokedAt !== null ||
      (record.expiresAt !== null && record.expiresAt.getTime() <= now)) {
      throw new Unauthenticated(true);
    }
    this.used.add(parsed.keyId);
    return entry.principal;
  }

  /** Stops the last-used timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUsed();
  }

  /** Forgets every cached key (tests; an operator could wire it to a signal). */
  clear(): void {
    this.entries.clear();
  }

  /** The key's entry if it is younger than the TTL (starting a refresh past half of it), else undefined. */
  private freshEntry(keyId: string, now: number): Entry | undefined {
    const entry = this.entries.get(keyId);
    if (!entry || now - entry.fetchedMs >= this.limits.ttlMs) return undefined;
    if (now - entry.fetchedMs >= this.limits.ttlMs / 2 && !entry.refreshing) {
      // Refresh ahead; a failure leaves the entry to age out (then requests wait and see the error).
      entry.refreshing = this.fetch(keyId).finally(() => { entry.refreshing = undefined; });
      entry.refreshing.catch((error: unknown) => this.log.warn({ err: error, keyId }, 'key refresh failed'));
    }
    return entry;
  }

  /** One lookup per key id at a time; its result replaces the cache entry. */
  private fetch(keyId: string): Promise<Entry> {
    const running = this.pending.get(keyId);
    if (running) return running;
    if (this.lookupsInFlight >= this.limits.lookupsInFlightMax) return Promise.reject(new Overloaded('key lookups'));
    this.lookupsInFlight++;
    const fetchedMs = this.nowMs();
    const lookup = readWithRetry(this.readPolicy, this.log, () => this.source.lookup(keyId))
      .then((record) => {
        const entry: Entry = {
          record, fetchedMs, refreshing: undefined,
          principal: record && Object.freeze({ tenant: record.tenant, actor: keyId, scopes: new Set(record.scopes) }),
          hash: record && /^[0-9a-f]{64}$/.test(record.secretSha256) ? Buffer.from(record.secretSha256, 'hex') : NO_HASH,
        };
        this.entries.delete(keyId); // re-inserted last: the map's order is the eviction order
        this.entries.set(keyId, entry);
        if (this.entries.size > this.limits.entriesMax) {
          const oldest = this.entries.keys().next().value;
          if (oldest !== undefined) this.entries.delete(oldest);
        }
        return entry;
      })
      .finally(() => {
        this.lookupsInFlight--;
        this.pending.delete(keyId);
      });
    this.pending.set(keyId, lookup);
    return lookup;
  }

  private async flushLastUsed(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used = new Set();
    try {
      await this.source.touch(ids);
    } catch (error) {
      // Coarse by design: a lost update only makes last_used_at older than the truth.
      this.log.warn({ err: error instanceof DatabaseUnavailable ? error.message : error }, 'could not record keys\' last use');
    }
  }
}
