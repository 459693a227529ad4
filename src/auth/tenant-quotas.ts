/**
 * A tenant's request quotas (`tenant_limits`, changeset 021): its requests per second over all its
 * keys, and each key's, both shared by every process (src/auth/shared-rate-limit.ts). The limits
 * are read per tenant and cached like keys (KEY_CACHE_TTL_MS); an expired entry keeps answering
 * while one refresh runs, so a request waits for the database only on its tenant's first one.
 */
import type pg from 'pg';
import type { Principal } from './authenticator.js';
import { type SharedTake, SharedRateLimiter } from './shared-rate-limit.js';

export interface TenantRateLimits {
  requestsPerSecond: number | null;
  keyRequestsPerSecond: number | null;
}

interface Entry {
  limits: TenantRateLimits;
  fetchedMs: number;
  refreshing: Promise<TenantRateLimits> | undefined;
  /** The first read finished (until then requests wait for it). */
  loaded: boolean;
}

const NONE: TenantRateLimits = Object.freeze({ requestsPerSecond: null, keyRequestsPerSecond: null });
const OK: SharedTake = Object.freeze({ ok: true });

/** Reads one tenant's request limits (none when it has no row). */
export async function readTenantRateLimits(pool: pg.Pool, tenant: string): Promise<TenantRateLimits> {
  const { rows } = await pool.query<{ requests_per_second: number | null; key_requests_per_second: number | null }>(
    'SELECT requests_per_second, key_requests_per_second FROM tenant_limits WHERE tenant = $1', [tenant]);
  const row = rows[0];
  if (!row || (row.requests_per_second === null && row.key_requests_per_second === null)) return NONE;
  return { requestsPerSecond: row.requests_per_second, keyRequestsPerSecond: row.key_requests_per_second };
}

export class TenantQuotas {
  private readonly entries = new Map<string, Entry>();
  private readonly limiter: SharedRateLimiter;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.limiter = new SharedRateLimiter(pool, onError, nowMs);
  }

  /** Takes one request from the caller's tenant's budget and its key's: now, or after a lease or a first read. */
  take(principal: Principal): SharedTake | Promise<SharedTake> {
    const limits = this.limitsOf(principal.tenant);
    return limits instanceof Promise ? limits.then((l) => this.takeWith(principal, l)) : this.takeWith(principal, limits);
  }

  private takeWith(principal: Principal, limits: TenantRateLimits): SharedTake | Promise<SharedTake> {
    if (limits === NONE) return OK;
    const tenant = limits.requestsPerSecond === null ? OK : this.limiter.take(`tenant:${principal.tenant}`, limits.requestsPerSecond);
    const key = (taken: SharedTake): SharedTake | Promise<SharedTake> =>
      !taken.ok || limits.keyRequestsPerSecond === null || principal.actor === null
        ? taken
        : this.limiter.take(`key:${principal.actor}`, limits.keyRequestsPerSecond);
    return tenant instanceof Promise ? tenant.then(key) : key(tenant);
  }

  private limitsOf(tenant: string): TenantRateLimits | Promise<TenantRateLimits> {
    const entry = this.entries.get(tenant);
    const now = this.nowMs();
    if (entry) {
      if (!entry.loaded) return entry.refreshing!;
      if (now - entry.fetchedMs >= this.ttlMs && !entry.refreshing) {
        entry.refreshing = this.read(tenant, entry);
        entry.refreshing.catch(() => {}); // served stale meanwhile; read() reported it
      }
      return entry.limits;
    }
    const first: Entry = { limits: NONE, fetchedMs: now, refreshing: undefined, loaded: false };
    this.entries.set(tenant, first);
    first.refreshing = this.read(tenant, first);
    return first.refreshing;
  }

  private async read(tenant: string, entry: Entry): Promise<TenantRateLimits> {
    try {
      entry.limits = await readTenantRateLimits(this.pool, tenant);
    } catch (error) {
      this.onError(error); // keep what was known (none at first): the request meets the database anyway
    } finally {
      entry.fetchedMs = this.nowMs();
      entry.refreshing = undefined;
      entry.loaded = true;
    }
    return entry.limits;
  }
}
