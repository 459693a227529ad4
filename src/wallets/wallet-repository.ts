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

export async function insertWallet(db: Kysely<Database>, id: string, tenant: string): Promise<WalletRow | undefined> {
  return db.insertInto('wallets').values({ id, tenant }).onConflict((oc) => oc.column('id').doNothing())
    .returning(['id', 'tenant', 'balance', sql<string>`balance`.as('available'), 'created_at', 'updated_at']).executeTakeFirst();
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

