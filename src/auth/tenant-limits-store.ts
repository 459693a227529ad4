/**
 * A tenant's quotas as the operator sets them (`npm run keys -- limits`), as the schema owner; every
 * change is audited like a key's. What the app reads of them: src/auth/tenant-quotas.ts (request
 * rates) and src/wallets/wallet-repository.ts (the wallet count).
 */
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'>;

export interface TenantLimitsListing {
  tenant: string;
  requests_per_second: number | null;
  key_requests_per_second: number | null;
  wallets_max: number | null;
  /** The wallets the quota counts (all the tenant's wallets, counted when wallets_max was set). */
  wallets_used: number;
  updated_at: string;
}

/** A change: a number sets the limit, null removes it, undefined leaves it as it is. */
export interface TenantLimitsChange {
  requestsPerSecond?: number | null;
  keyRequestsPerSecond?: number | null;
  walletsMax?: number | null;
}

export class UnknownTenant extends Error {
  constructor(tenant: string) {
    super(`no tenant ${tenant}: it exists once a key was created for it (npm run keys -- create --tenant ${tenant} ...)`);
    this.name = 'UnknownTenant';
  }
}

const columns = `tenant, requests_per_second, key_requests_per_second, wallets_max::int AS wallets_max,
  wallets_used::int AS wallets_used, to_json(updated_at)#>>'{}' AS updated_at`;

/**
 * Sets a tenant's limits. Setting wallets_max where there was none counts the tenant's wallets
 * (a creation committing at that very moment may be missed once: the count is a starting point,
 * kept exact by every creation after it).
 */
export async function setTenantLimits(pool: pg.Pool, tenant: string, change: TenantLimitsChange, actor: string): Promise<TenantLimitsListing> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const known = await client.query('SELECT 1 FROM tenants WHERE name = $1', [tenant]);
    if (known.rowCount === 0) throw new UnknownTenant(tenant);
    const given = (v: number | null | undefined) => v !== undefined;
    const { rows } = await client.query<TenantLimitsListing>(
      `INSERT INTO tenant_limits AS l (tenant, requests_per_second, key_requests_per_second, wallets_max, wallets_used)
       VALUES ($1, $2, $3, $4, (SELECT count(*) FROM wallets WHERE tenant = $1))
       ON CONFLICT (tenant) DO UPDATE SET
         requests_per_second = CASE WHEN $5 THEN EXCLUDED.requests_per_second ELSE l.requests_per_second END,
         key_requests_per_second = CASE WHEN $6 THEN EXCLUDED.key_requests_per_second ELSE l.key_requests_per_second END,
         wallets_max = CASE WHEN $7 THEN EXCLUDED.wallets_max ELSE l.wallets_max END,
         wallets_used = CASE WHEN l.wallets_max IS NULL THEN EXCLUDED.wallets_used ELSE l.wallets_used END,
         updated_at = now()
       RETURNING ${columns}`,
      [tenant, change.requestsPerSecond ?? null, change.keyRequestsPerSecond ?? null, change.walletsMax ?? null,
        given(change.requestsPerSecond), given(change.keyRequestsPerSecond), given(change.walletsMax)]);
    const row = rows[0]!;
    await client.query('INSERT INTO api_key_audit (actor, action, tenant, detail) VALUES ($1, $2, $3, $4)',
      [actor, 'set-limits', tenant, JSON.stringify(change)]);
    await client.query('COMMIT');
    return row;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export async function listTenantLimits(db: Queryable, tenant?: string): Promise<TenantLimitsListing[]> {
  const { rows } = await db.query<TenantLimitsListing>(
    `SELECT ${columns} FROM tenant_limits WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant`, [tenant ?? null]);
  return rows;
}
