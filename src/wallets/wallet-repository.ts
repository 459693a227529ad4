/** SQL only. Each function takes the executor (Kysely or a transaction's client) it runs on. */
import { sql, type Kysely } from 'kysely';
import type { WalletStatus } from '../ledger/names.js';
import type { Database, WalletRow } from '../ledger/tables.js';

/**
 * A wallet's columns for its answer. `available` subtracts only holds still in force: one that
 * lapsed is not yet released in the table (the next batch on the wallet does that), but it no
 * longer reserves anything. The sub-select runs only for a wallet with something held.
 */
const walletColumns = `w.id, w.tenant, w.balance, w.created_at, w.updated_at, w.currency, w.scale, w.min_balance, w.max_balance,
  w.status, w.metadata, w.external_id,
  CASE WHEN w.held = 0 THEN w.balance
       ELSE w.balance - (SELECT coalesce(sum(h.amount), 0) FROM holds h
                          WHERE h.wallet_id = w.id AND h.status = 'HELD' AND h.expires_at > now()) END AS available`;

export interface NewWallet {
  id: string;
  tenant: string;
  currency: string;
  scale: number;
  minBalance: string;
  maxBalance: string;
  metadata: Record<string, string>;
  externalId: string | null;
}

/**
 * Inserts the wallet (its balance and held start at 0 at its scale: changeset 033's trigger), taking
 * one of the tenant's wallet quota in the same statement when it has one (tenant_limits.wallets_max,
 * changeset 021). Undefined when its id exists already (a retry after an unheard commit: it takes
 * no quota), its external id does, or the quota is spent.
 */
export async function insertWallet(db: Kysely<Database>, w: NewWallet, actor: string | null): Promise<WalletRow | undefined> {
  // One statement: the quota, the wallet and its 'created' change (whose trigger writes wallet.created).
  const result = await sql<WalletRow>`
    WITH quota AS (SELECT 1 FROM tenant_limits WHERE tenant = ${w.tenant} AND wallets_max IS NOT NULL),
    taken AS (
      UPDATE tenant_limits SET wallets_used = wallets_used + 1
       WHERE tenant = ${w.tenant} AND wallets_max IS NOT NULL AND wallets_used < wallets_max
         AND NOT EXISTS (SELECT 1 FROM wallets WHERE id = ${w.id})
         AND (${w.externalId}::text IS NULL
              OR NOT EXISTS (SELECT 1 FROM wallets WHERE tenant = ${w.tenant} AND external_id = ${w.externalId}))
      RETURNING 1),
    w AS (
      INSERT INTO wallets AS w (id, tenant, currency, scale, min_balance, max_balance, metadata, external_id)
      SELECT ${w.id}, ${w.tenant}, ${w.currency}, ${w.scale}, ${w.minBalance}::numeric, ${w.maxBalance}::numeric,
             ${JSON.stringify(w.metadata)}::jsonb, ${w.externalId}
       WHERE NOT EXISTS (SELECT 1 FROM quota) OR EXISTS (SELECT 1 FROM taken)
      ON CONFLICT DO NOTHING
      RETURNING w.*),
    c AS (INSERT INTO wallet_changes (wallet_id, kind, actor) SELECT id, 'created', ${actor} FROM w)
    SELECT ${sql.raw(walletColumns)} FROM w`.execute(db);
  return result.rows[0];
}

/** The tenant's wallet quota, when it has one. */
export async function walletQuotaOf(db: Kysely<Database>, tenant: string): Promise<string | undefined> {
  const result = await sql<{ wallets_max: string }>`
    SELECT wallets_max FROM tenant_limits WHERE tenant = ${tenant} AND wallets_max IS NOT NULL`.execute(db);
  return result.rows[0]?.wallets_max;
}

/** The wallet if it exists and belongs to `tenant`: another tenant's wallet is not found. */
export async function findWallet(db: Kysely<Database>, id: string, tenant: string): Promise<WalletRow | undefined> {
  const result = await sql<WalletRow>`SELECT ${sql.raw(walletColumns)} FROM wallets w WHERE w.id = ${id} AND w.tenant = ${tenant}`.execute(db);
  return result.rows[0];
}

/** Many wallets in one query (coalesced balance reads, of any tenants: the caller checks each row's). */
export async function findWallets(db: Kysely<Database>, ids: readonly string[]): Promise<WalletRow[]> {
  const result = await sql<WalletRow>`SELECT ${sql.raw(walletColumns)} FROM wallets w WHERE w.id = ANY (${ids}::uuid[])`.execute(db);
  return result.rows;
}

/** The id of the tenant's wallet with this external id. */
export async function findWalletIdByExternalId(db: Kysely<Database>, tenant: string, externalId: string): Promise<string | undefined> {
  const row = await db.selectFrom('wallets').select('id').where('tenant', '=', tenant).where('external_id', '=', externalId)
    .executeTakeFirst();
  return row?.id;
}

/** The scale of one of the tenant's assets. */
export async function findAssetScale(db: Kysely<Database>, tenant: string, code: string): Promise<number | undefined> {
  const row = await db.selectFrom('assets').select('scale').where('tenant', '=', tenant).where('code', '=', code).executeTakeFirst();
  return row?.scale;
}

/** Inserts an asset; the stored one (which may have another scale) when the code exists. */
export async function insertAsset(db: Kysely<Database>, tenant: string, code: string, scale: number, actor: string | null) {
  const inserted = await db.insertInto('assets').values({ tenant, code, scale, actor }).onConflict((oc) => oc.columns(['tenant', 'code']).doNothing())
    .returning(['code', 'scale', 'created_at']).executeTakeFirst();
  return inserted ?? db.selectFrom('assets').select(['code', 'scale', 'created_at']).where('tenant', '=', tenant).where('code', '=', code)
    .executeTakeFirstOrThrow();
}

export async function listAssets(db: Kysely<Database>, tenant: string) {
  return db.selectFrom('assets').select(['code', 'scale', 'created_at']).where('tenant', '=', tenant).orderBy('code').execute();
}

/** The wallet under its row lock (the engine's batches on it wait), with what it has on hold. */
export async function lockWallet(db: Kysely<Database>, id: string, tenant: string): Promise<(WalletRow & { held: string }) | undefined> {
  const result = await sql<WalletRow & { held: string }>`SELECT ${sql.raw(walletColumns)}, w.held FROM wallets w
    WHERE w.id = ${id} AND w.tenant = ${tenant} FOR UPDATE`.execute(db);
  return result.rows[0];
}

/**
 * Releases the wallet's lapsed holds (as apply_operations_v5 does lazily, in the same way) and
 * returns what stays held. Run under the wallet's row lock, before closing it.
 */
export async function releaseLapsedHolds(db: Kysely<Database>, id: string): Promise<string> {
  // The app may not write holds or wallets.held (changeset 018): the owner's function does (033).
  const result = await sql<{ held: string }>`SELECT release_lapsed_holds(${id}) AS held`.execute(db);
  return result.rows[0]!.held;
}

/** What PATCH changes (absent: unchanged). */
export interface WalletChange {
  metadata?: Record<string, string>;
  minBalance?: string;
  maxBalance?: string;
  status?: WalletStatus;
}

/** Writes the change and records it (wallet_changes; its trigger writes wallet.updated). */
export async function updateWallet(db: Kysely<Database>, id: string, change: WalletChange, actor: string | null,
  recorded: Record<string, { from: unknown; to: unknown }>): Promise<WalletRow> {
  const result = await sql<WalletRow>`
    WITH w AS (
      UPDATE wallets w SET
        metadata = coalesce(${change.metadata === undefined ? null : JSON.stringify(change.metadata)}::jsonb, w.metadata),
        min_balance = coalesce(${change.minBalance ?? null}::numeric, w.min_balance),
        max_balance = coalesce(${change.maxBalance ?? null}::numeric, w.max_balance),
        status = coalesce(${change.status ?? null}::text, w.status),
        updated_at = now()
       WHERE w.id = ${id}
      RETURNING w.*),
    c AS (INSERT INTO wallet_changes (wallet_id, kind, actor, changes) SELECT id, 'updated', ${actor}, ${JSON.stringify(recorded)}::jsonb FROM w)
    SELECT ${sql.raw(walletColumns)} FROM w`.execute(db);
  return result.rows[0]!;
}

export interface WalletsPageQuery {
  tenant: string;
  currency?: string | undefined;
  status?: WalletStatus | undefined;
  externalId?: string | undefined;
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  /** Exact matches, ANDed: one `@>` on the GIN index wallets_metadata (changeset 032). */
  metadata: Record<string, string>;
  before: { createdUs: string; id: string } | undefined;
  rows: number;
}

/**
 * A page of the tenant's wallets, newest first, with each row's keyset position. The order is
 * the index wallets_tenant_created's (tenant, created_at DESC, id DESC); a metadata filter can
 * use wallets_metadata (GIN, jsonb_path_ops) instead when it is selective.
 */
export async function findWalletsPage(db: Kysely<Database>, q: WalletsPageQuery): Promise<(WalletRow & { created_us: string })[]> {
  const filters = [sql`w.tenant = ${q.tenant}`];
  if (q.currency !== undefined) filters.push(sql`w.currency = ${q.currency}`);
  if (q.status !== undefined) filters.push(sql`w.status = ${q.status}`);
  if (q.externalId !== undefined) filters.push(sql`w.external_id = ${q.externalId}`);
  if (q.createdAfter !== undefined) filters.push(sql`w.created_at > ${q.createdAfter}::timestamptz`);
  if (q.createdBefore !== undefined) filters.push(sql`w.created_at < ${q.createdBefore}::timestamptz`);
  if (Object.keys(q.metadata).length > 0) filters.push(sql`w.metadata @> ${JSON.stringify(q.metadata)}::jsonb`);
  // microseconds as an exact integer: a Date (milliseconds) would make wallets of one millisecond skip each other
  if (q.before) {
    filters.push(sql`(w.created_at, w.id) < ('epoch'::timestamptz + ${q.before.createdUs}::bigint * interval '1 microsecond',
      ${q.before.id}::uuid)`);
  }
  const result = await sql<WalletRow & { created_us: string }>`
    SELECT ${sql.raw(walletColumns)}, ((extract(epoch FROM w.created_at) * 1000000)::bigint)::text AS created_us
      FROM wallets w
     WHERE ${sql.join(filters, sql` AND `)}
     ORDER BY w.created_at DESC, w.id DESC
     LIMIT ${q.rows}`.execute(db);
  return result.rows;
}
