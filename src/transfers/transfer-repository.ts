/** SQL only: a transfer's stored legs. */
import { sql, type Kysely } from 'kysely';
import type { Database, OperationRow } from '../ledger/tables.js';

/** A transfer's stored legs (TRANSFER_OUT first) if its source wallet belongs to `tenant`; [] when unknown. */
export async function findTransferLegs(db: Kysely<Database>, id: string, tenant: string): Promise<OperationRow[]> {
  const result = await sql<OperationRow>`
    SELECT o.id, o.wallet_id, o.operation_type, o.amount, o.balance_after, o.status, o.counterparty_wallet_id, o.held, o.created_at
      FROM operations o JOIN wallets w ON w.id = o.wallet_id
     WHERE o.id = ${id} AND o.counterparty_wallet_id IS NOT NULL AND o.operation_type IN ('TRANSFER_OUT', 'TRANSFER_IN')
       AND w.tenant = ${tenant}
     ORDER BY o.operation_type DESC`.execute(db);
  return result.rows;
}

