/** Reads every money feature shares: one ledger row, and whether a wallet exists for a tenant. SQL only. */
import { sql, type Kysely } from 'kysely';
import type { Database, OperationRow } from './tables.js';

/** The operation if its wallet belongs to `tenant`. */
export async function findOperation(db: Kysely<Database>, walletId: string, id: string, tenant: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations as o').innerJoin('wallets as w', 'w.id', 'o.wallet_id')
    .select(['o.id', 'o.wallet_id', 'o.operation_type', 'o.amount', 'o.balance_after', 'o.status', 'o.counterparty_wallet_id',
      'o.reverses_id', 'o.held', 'o.created_at'])
    .select(sql<string | null>`(SELECT r.id FROM operations r WHERE r.wallet_id = o.wallet_id AND r.reverses_id = o.id
      AND r.status = 'SUCCESS')`.as('reversed_by'))
    .where('o.wallet_id', '=', walletId).where('o.id', '=', id).where('w.tenant', '=', tenant).executeTakeFirst();
}

export async function walletExists(db: Kysely<Database>, id: string, tenant: string): Promise<boolean> {
  const row = await sql<{ found: boolean }>`SELECT EXISTS (SELECT 1 FROM wallets WHERE id = ${id} AND tenant = ${tenant}) AS found`.execute(db);
  return row.rows[0]?.found === true;
}

