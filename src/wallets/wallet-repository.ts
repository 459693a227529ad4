/** SQL only. Each function takes the executor (Kysely or a transaction's client) it runs on. */
import { sql, type Kysely } from 'kysely';
import type { Database, WalletRow } from '../ledger/tables.js';

/**
 * A wallet's columns for its answer. `available` subtracts only holds still in force: one that
 * lapsed is not yet released in the table (the next batch on the wallet does that), but it no
 * longer reserves anything. The sub-select runs only for a wallet with something held.
 */
const walletColumns = `w.id, w.tenant, w.balance, w.created_at, w.updated_at,
  CASE WHEN w.held = 0 THEN w.balance
       ELSE w.balance - (SELECT coalesce(sum(h.amount), 0) FROM holds h
                          WHERE h.wallet_id = w.id AND h.status = 'HELD' AND h.expires_at > now()) END AS available`;

/**
 * Inserts the wallet, taking one of the tenant's quota in the same statement when it has one
 * (tenant_limits.wallets_max, changeset 021): undefined when the id exists (a retry) or the quota
 * is spent. A retry of a stored id takes nothing.
 */
export async function insertWallet(db: Kysely<Database>, id: string, tenant: string): Promise<WalletRow | undefined> {
  const result = await sql<WalletRow>`
    WITH quota AS (SELECT 1 FROM tenant_limits WHERE tenant = ${tenant} AND wallets_max IS NOT NULL),
         taken AS (UPDATE tenant_limits SET wallets_used = wallets_used + 1
                    WHERE tenant = ${tenant} AND wallets_max IS NOT NULL AND wallets_used < wallets_max
                      AND NOT EXISTS (SELECT 1 FROM wallets WHERE id = ${id})
                   RETURNING 1)
    INSERT INTO wallets (id, tenant)
    SELECT ${id}, ${tenant} WHERE NOT EXISTS (SELECT 1 FROM quota) OR EXISTS (SELECT 1 FROM taken)
    ON CONFLICT (id) DO NOTHING
    RETURNING id, tenant, balance, balance AS available, created_at, updated_at`.execute(db);
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

