/**
 * Who is calling: `Authorization: Bearer wsk_<key id>_<secret>` → the key's tenant and scopes.
 *
 * Keys are cached per process, by key id, in two maps that never evict each other: known keys
 * (the database has the id) and unknown ids (it has not), each at most `entriesMax` entries, so a
 * flood of random ids only pushes out other unknown ids (issue 25, item 3).
 * - a known key's entry younger than `ttlMs` (KEY_CACHE_TTL_MS, default 5 s) is used as is; past
 *   half of it one background lookup refreshes it, so a key in steady use is never waited for;
 * - past the TTL, for at most `staleMs` more (KEY_CACHE_STALE_MS), the entry is still served while
 *   its refresh runs or waits for a free lookup slot; older than ttlMs + staleMs it is never used
 *   and the request waits for the lookup. Hence the bounds: a revocation, a new expiry or a
 *   deletion takes effect in every process within ttlMs, and within ttlMs + staleMs while lookups
 *   are saturated or the database is down. Expiry times are checked on every request against the
 *   clock, so an expiry is exact.
 * - one lookup per key id at a time, shared by every request that needs it. Known keys' refreshes
 *   and unknown ids' lookups have `lookupsInFlightMax` slots each: random ids cannot take the slots
 *   a known key's refresh needs. Beyond its slots a request that has to wait is answered 503; a
 *   refresh that finds no slot is tried again by the next request.
 * - a failed authentication (a key presented and refused), and a lookup of an id this process
 *   does not know as a key, cost the client address a token (`failuresPerSecond`,
 *   `failuresBurst`); an address without one is answered 429, and gets no lookup. A key whose
 *   secret matches its known entry never passes that gate, so a legitimate client sharing an
 *   address with a flood keeps being served.
 * The secret is hashed and compared with the stored hash in constant time on every request; the
 * cache holds hashes, never secrets. last_used_at is written once per key per flush interval.
 */
import { DatabaseUnavailable, Overloaded } from '../ledger/errors.js';
import { readWithRetry } from '../ledger/read-retry.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import { timingSafeEqual } from 'node:crypto';
import { bearerToken, parseKey, secretDigest } from './api-key.js';
import { RateLimited, Unauthenticated } from './auth-errors.js';
import { clientBucket } from './client-address.js';
import type { KeyRecord } from './key-store.js';
import type { Scope } from './scopes.js';
import { TokenBuckets } from './token-bucket.js';

/** The caller of a request, as the domain sees it (src/ledger/caller.ts) plus its scopes. */
export interface Principal {
  tenant: string;
  /** The key id (the ledger's actor); null under AUTH_REQUIRED=false. */
  actor: string | null;
  scopes: ReadonlySet<Scope>;
}

export interface AuthenticatorLimits {
  ttlMs: number;
  /** How long past ttlMs a known key's entry may still be served while its refresh is pending. */
  staleMs: number;
  /** Entries per map (known keys; unknown ids). */
  entriesMax: number;
  /** Lookups at once, per kind (refreshes of known keys; lookups of other ids). */
  lookupsInFlightMax: number;
  lastUsedFlushMs: number;
  /** Failed authentications per client address and process: sustained per second (0: no limit), and burst. */
  failuresPerSecond: number;
  failuresBurst: number;
}

export interface KeySource {
  lookup(keyId: string): Promise<KeyRecord | undefined>;
  touch(keyIds: readonly string[]): Promise<void>;
}

/** A key the database has. */
interface KnownEntry {
  record: KeyRecord;
  /** Built once per lookup: requests share it (nothing is allocated per request). */
  principal: Principal;
  /** SHA-256 of the secret, as bytes. */
  hash: Buffer;
  fetchedMs: number;
}

/** What a lookup found: the key, or nothing. */
type Found = KnownEntry | undefined;

type LookupKind = 'refresh' | 'other';

const NO_HASH = Buffer.alloc(32);

export class Authenticator {
  private readonly known = new Map<string, KnownEntry>();
  /** Ids the database did not have, with when it said so. */
  private readonly unknown = new Map<string, number>();
  private readonly pending = new Map<string, Promise<Found>>();
  private readonly inFlight: Record<LookupKind, number> = { refresh: 0, other: 0 };
  private readonly failures: TokenBuckets;
  private used = new Set<string>();
  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    private readonly source: KeySource,
    private readonly limits: AuthenticatorLimits,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
    private readonly nowMs: () => number = () => Date.now(),
  ) {
    this.failures = new TokenBuckets({ ratePerSecond: limits.failuresPerSecond, burst: limits.failuresBurst }, nowMs, limits.entriesMax);
    this.flushTimer = setInterval(() => void this.flushLastUsed(), limits.lastUsedFlushMs);
    this.flushTimer.unref();
  }

  /** The principal of an Authorization header; throws Unauthenticated (401) or RateLimited (429). */
  async authenticate(header: string | undefined, clientIp: string): Promise<Principal> {
    return this.authenticateNow(header, clientIp);
  }

  /**
   * The same, synchronously when the key's cache entry can be used (the common case: no promise
   * on the hot path), else a promise that waits for the lookup. `clientIp`: request.ip.
   */
  authenticateNow(header: string | undefined, clientIp: string): Principal | Promise<Principal> {
    const token = bearerToken(header);
    if (token === undefined) {
      if (header === undefined) throw new Unauthenticated(false); // no key: nothing to guess with, not a failure
      return this.refuse(clientIp);
    }
    const parsed = parseKey(token);
    if (!parsed) return this.refuse(clientIp);
    const { keyId } = parsed;
    const digest = secretDigest(parsed.secret);
    const now = this.nowMs(); // one clock read per request, for the cache's age and the key's expiry
    const entry = this.known.get(keyId);
    if (entry) {
      // A key's secret never changes (rotation makes a new id), so even a stale entry refuses a wrong one.
      if (!timingSafeEqual(digest, entry.hash)) return this.refuse(clientIp);
      const age = now - entry.fetchedMs;
      if (age < this.limits.ttlMs + this.limits.staleMs) {
        if (age >= this.limits.ttlMs / 2) this.refreshAhead(keyId);
        return this.admit(keyId, entry, now, clientIp);
      }
      return this.lookup(keyId, 'refresh').then((found) => this.judge(keyId, digest, found, clientIp));
    }
    const unknownSinceMs = this.unknown.get(keyId);
    if (unknownSinceMs !== undefined && now - unknownSinceMs < this.limits.ttlMs) return this.refuse(clientIp);
    const running = this.pending.get(keyId); // joining a lookup costs the database nothing
    if (running) return running.then((found) => this.judge(keyId, digest, found, clientIp));
    // A new lookup for an id we do not know as a key costs the address a token, paid up front: a
    // refusal that follows costs nothing more, and an address without a token gets no lookup.
    const paid = this.failures.take(clientBucket(clientIp));
    if (!paid.ok) throw new RateLimited(paid.retryAfterSeconds, 'address');
    return this.lookup(keyId, 'other').then((found) => this.judge(keyId, digest, found, clientIp, true));
  }

  private judge(keyId: string, digest: Buffer, found: Found, clientIp: string, paid = false): Principal {
    // Compared even for an unknown id, so timing does not tell a known id from an unknown one.
    const matches = timingSafeEqual(digest, found?.hash ?? NO_HASH);
    if (!found || !matches) return paid ? unauthenticated() : this.refuse(clientIp);
    return this.admit(keyId, found, this.nowMs(), clientIp, paid);
  }

  private admit(keyId: string, entry: KnownEntry, now: number, clientIp: string, paid = false): Principal {
    const { record } = entry;
    if (record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt.getTime() <= now)) {
      return paid ? unauthenticated() : this.refuse(clientIp);
    }
    this.used.add(keyId);
    return entry.principal;
  }

  /** A failed authentication: 401, or 429 once the client address has used up its failures. */
  private refuse(clientIp: string): never {
    const taken = this.failures.take(clientBucket(clientIp));
    if (!taken.ok) throw new RateLimited(taken.retryAfterSeconds, 'address');
    throw new Unauthenticated(true);
  }

  /** Stops the last-used timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUsed();
  }

  /** Forgets every cached key (tests; an operator could wire it to a signal). */
  clear(): void {
    this.known.clear();
    this.unknown.clear();
  }

  /** A background refresh, unless one is running or no slot is free (the next request tries again). */
  private refreshAhead(keyId: string): void {
    if (this.pending.has(keyId) || this.inFlight.refresh >= this.limits.lookupsInFlightMax) return;
    // A failure leaves the entry to age out (then requests wait and see the error).
    this.lookup(keyId, 'refresh').catch((error: unknown) => this.log.warn({ err: error, keyId }, 'key refresh failed'));
  }

  /** One lookup per key id at a time; its result replaces the id's cache entry. */
  private lookup(keyId: string, kind: LookupKind): Promise<Found> {
    const running = this.pending.get(keyId);
    if (running) return running;
    if (this.inFlight[kind] >= this.limits.lookupsInFlightMax) return Promise.reject(new Overloaded('key lookups'));
    this.inFlight[kind]++;
    const fetchedMs = this.nowMs();
    const lookup = readWithRetry(this.readPolicy, this.log, () => this.source.lookup(keyId))
      .then((record) => (record ? this.remember(keyId, record, fetchedMs) : this.forget(keyId, fetchedMs)))
      .finally(() => {
        this.inFlight[kind]--;
        this.pending.delete(keyId);
      });
    this.pending.set(keyId, lookup);
    return lookup;
  }

  private remember(keyId: string, record: KeyRecord, fetchedMs: number): KnownEntry {
    const entry: KnownEntry = {
      record, fetchedMs,
      principal: Object.freeze({ tenant: record.tenant, actor: keyId, scopes: new Set(record.scopes) }),
      hash: /^[0-9a-f]{64}$/.test(record.secretSha256) ? Buffer.from(record.secretSha256, 'hex') : NO_HASH,
    };
    this.unknown.delete(keyId);
    setNewest(this.known, keyId, entry, this.limits.entriesMax);
    return entry;
  }

  private forget(keyId: string, fetchedMs: number): undefined {
    this.known.delete(keyId);
    setNewest(this.unknown, keyId, fetchedMs, this.limits.entriesMax);
    return undefined;
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

function unauthenticated(): never {
  throw new Unauthenticated(true);
}

/** Sets `key` as the map's newest entry (its order is the eviction order), forgetting the oldest beyond `max`. */
function setNewest<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
