/**
 * SQL for keys. The app role (wallet_app) only calls api_key_lookup(id) and api_keys_touch(ids)
 * (changeset 009); everything else here runs as the schema owner (`npm run keys`, first start).
 * Plain parameterised queries: unnamed statements, safe behind PgBouncer's transaction pooling.
 */
import type pg from 'pg';
import { generateKey, type NewKey } from './api-key.js';
import { OPERATOR_SCOPE, type Scope } from './scopes.js';

/** A pg.Pool or a checked-out client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** What the app needs to judge a presented key. */
export interface KeyRecord {
  tenant: string;
  scopes: Scope[];
  secretSha256: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export async function lookupKey(db: Queryable, keyId: string): Promise<KeyRecord | undefined> {
  const { rows } = await db.query<{ tenant: string; scopes: Scope[]; secret_sha256: string; expires_at: Date | null; revoked_at: Date | null }>(
    'SELECT tenant, scopes, secret_sha256, expires_at, revoked_at FROM api_key_lookup($1)', [keyId]);
  const row = rows[0];
  return row && { tenant: row.tenant, scopes: row.scopes, secretSha256: row.secret_sha256, expiresAt: row.expires_at, revokedAt: row.revoked_at };
}

export async function touchKeys(db: Queryable, keyIds: readonly string[]): Promise<void> {
  if (keyIds.length > 0) await db.query('SELECT api_keys_touch($1::text[])', [keyIds]);
}

// ---- management (schema owner) ----

export interface KeyListing {
  key_id: string;
  tenant: string;
  scopes: Scope[];
  description: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  rotated_from: string | null;
  /** active, expired or revoked, as of the listing. */
  state: 'active' | 'expired' | 'revoked';
}

export interface CreatedKey {
  key: string;
  key_id: string;
  tenant: string;
  scopes: Scope[];
  expires_at: string | null;
}

export interface CreateKeyOptions {
  tenant: string;
  scopes: Scope[];
  expiresAt?: Date | null;
  description?: string | null;
  /** Who asks (for the audit): an OS user, `npm start (first run)`, a test. */
  actor: string;
  rotatedFrom?: string | null;
  /**
   * For a key with the operator scope, when no tenant is the operator tenant yet: make this one it
   * (`keys create --operator`, the first start). Otherwise the tenant must already be it.
   */
  designateOperator?: boolean;
}

export class KeyNotFound extends Error {
  constructor(keyId: string) {
    super(`no key ${keyId}`);
    this.name = 'KeyNotFound';
  }
}

/** The operator scope asked for a key of a tenant that is not the operator tenant. */
export class OperatorScopeRefused extends Error {
  constructor(tenant: string, operatorTenant: string | null) {
    super(`the operator scope is only for keys of the operator tenant; ${tenant} is not it (` +
      (operatorTenant === null ? 'there is none yet: npm run keys -- create --operator makes one)' : `it is ${operatorTenant})`));
    this.name = 'OperatorScopeRefused';
  }
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function audit(db: Queryable, actor: string, action: string, keyId: string | null, tenant: string | null,
  detail: Record<string, unknown> = {}): Promise<void> {
  await db.query('INSERT INTO api_key_audit (actor, action, key_id, tenant, detail) VALUES ($1, $2, $3, $4, $5)',
    [actor, action, keyId, tenant, JSON.stringify(detail)]);
}

async function ensureTenant(db: Queryable, tenant: string, actor: string): Promise<void> {
  const created = await db.query('INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING name', [tenant]);
  if (created.rowCount === 1) await audit(db, actor, 'create-tenant', null, tenant);
}

/** The operator tenant's name, or null while there is none. */
export async function operatorTenant(db: Queryable): Promise<string | null> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM tenants WHERE operator');
  return rows[0]?.name ?? null;
}

/**
 * Checked here for a clear message; changeset 020's foreign key refuses an operator key of any
 * other tenant whatever writes it, and its unique index a second operator tenant.
 */
async function ensureOperatorTenant(db: Queryable, tenant: string, designate: boolean, actor: string): Promise<void> {
  const current = await operatorTenant(db);
  if (current === tenant) return;
  if (current !== null || !designate) throw new OperatorScopeRefused(tenant, current);
  await db.query('UPDATE tenants SET operator = true WHERE name = $1', [tenant]);
  await audit(db, actor, 'designate-operator', null, tenant);
}

async function insertKey(db: Queryable, options: CreateKeyOptions, fresh: NewKey): Promise<CreatedKey> {
  const { rows } = await db.query<{ expires_at: Date | null }>(
    `INSERT INTO api_keys (id, tenant, scopes, secret_sha256, description, expires_at, rotated_from)
     VALUES ($1, $2, $3::text[], $4, $5, $6, $7) RETURNING expires_at`,
    [fresh.keyId, options.tenant, options.scopes, fresh.secretSha256, options.description ?? null,
      options.expiresAt ?? null, options.rotatedFrom ?? null]);
  return {
    key: fresh.key, key_id: fresh.keyId, tenant: options.tenant, scopes: options.scopes,
    expires_at: rows[0]?.expires_at?.toISOString() ?? null,
  };
}

/** Creates the tenant if it is new, then a key; both audited. The key text is returned once. */
export async function createKey(pool: pg.Pool, options: CreateKeyOptions): Promise<CreatedKey> {
  return inTransaction(pool, async (client) => {
    await ensureTenant(client, options.tenant, options.actor);
    if (options.scopes.includes(OPERATOR_SCOPE)) {
      await ensureOperatorTenant(client, options.tenant, options.designateOperator ?? false, options.actor);
    }
    const created = await insertKey(client, options, generateKey());
    await audit(client, options.actor, 'create', created.key_id, options.tenant,
      { scopes: options.scopes, expires_at: created.expires_at, description: options.description ?? null });
    return created;
  });
}

export async function listKeys(db: Queryable, tenant?: string): Promise<KeyListing[]> {
  const { rows } = await db.query<Omit<KeyListing, 'state'> & { expired: boolean }>(
    `SELECT id AS key_id, tenant, scopes, description,
            to_json(created_at)#>>'{}' AS created_at, to_json(expires_at)#>>'{}' AS expires_at,
            to_json(revoked_at)#>>'{}' AS revoked_at, to_json(last_used_at)#>>'{}' AS last_used_at,
            rotated_from, coalesce(expires_at <= now(), false) AS expired
       FROM api_keys WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant, created_at, id`, [tenant ?? null]);
  return rows.map(({ expired, ...row }) => ({ ...row, state: row.revoked_at ? 'revoked' : expired ? 'expired' : 'active' }));
}

/** Revokes a key (idempotent: the first revocation time stays). */
export async function revokeKey(pool: pg.Pool, keyId: string, actor: string): Promise<{ key_id: string; revoked_at: string }> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ tenant: string; revoked_at: Date }>(
      'UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING tenant, revoked_at', [keyId]);
    const row = rows[0];
    if (!row) throw new KeyNotFound(keyId);
    await audit(client, actor, 'revoke', keyId, row.tenant);
    return { key_id: keyId, revoked_at: row.revoked_at.toISOString() };
  });
}

/**
 * A new key with the old one's tenant, scopes and description; the old one expires after the
 * overlap (never later than it already would), so clients can switch without downtime.
 */
export async function rotateKey(pool: pg.Pool, keyId: string, overlapMs: number, actor: string,
  expiresAt: Date | null = null): Promise<CreatedKey & { old_key_id: string; old_expires_at: string }> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ tenant: string; scopes: Scope[]; description: string | null; expires_at: Date }>(
      `UPDATE api_keys
          SET expires_at = least(coalesce(expires_at, 'infinity'), now() + $2 * interval '1 millisecond')
        WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        RETURNING tenant, scopes, description, expires_at`, [keyId, overlapMs]);
    const old = rows[0];
    if (!old) throw new KeyNotFound(`${keyId} (active)`);
    const created = await insertKey(client,
      { tenant: old.tenant, scopes: old.scopes, description: old.description, expiresAt, actor, rotatedFrom: keyId }, generateKey());
    await audit(client, actor, 'rotate', created.key_id, old.tenant,
      { old_key_id: keyId, old_expires_at: old.expires_at.toISOString(), overlap_ms: overlapMs });
    return { ...created, old_key_id: keyId, old_expires_at: old.expires_at.toISOString() };
  });
}
