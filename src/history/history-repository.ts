/** SQL only: one keyset page of a wallet's ledger, newest first. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../ledger/tables.js';
import type { LedgerType, StoredStatus } from '../ledger/names.js';

export interface HistoryQuery {
  walletId: string;
  /** The caller's tenant: another tenant's wallet reads as empty (the service then answers 404). */
  tenant: string;
  /** Only items with a smaller seq (the cursor's position). */
  beforeSeq: string | undefined;
  operationType: LedgerType | undefined;
  /** Inclusive lower bound on created_at. */
  createdFrom: Date | undefined;
  /** Exclusive upper bound on created_at. */
  createdTo: Date | undefined;
  /** Rows to fetch (the page size plus one, to know whether another page follows). */
  rows: number;
}

export interface HistoryRow {
  id: string;
  wallet_id: string;
  seq: string;
  operation_type: LedgerType;
  amount: string;
  balance_after: string;
  status: StoredStatus;
  actor: string | null;
  counterparty_wallet_id: string | null;
  reverses_id: string | null;
  reversed_by: string | null;
  held: string | null;
  created_at: Date;
}

/**
 * Walks the (wallet_id, seq) unique index backwards from the cursor; filters apply on the way.
 * No OFFSET: the cost of a page does not grow with its depth.
 */
export async function findOperationsPage(db: Kysely<Database>, q: HistoryQuery): Promise<HistoryRow[]> {
  let query = db.selectFrom('operations')
    .select(['id', 'wallet_id', 'seq', 'operation_type', 'amount', 'balance_after', 'status', 'actor', 'counterparty_wallet_id',
      'reverses_id', 'held', 'created_at'])
    // the link from an original to its reversal: one probe of the operations_reversed_once index
    .select(sql<string | null>`(SELECT r.id FROM operations r WHERE r.wallet_id = operations.wallet_id
      AND r.reverses_id = operations.id AND r.status = 'SUCCESS')`.as('reversed_by'))
    .where('wallet_id', '=', q.walletId)
    // Evaluated once (a constant subquery), not per row.
    .where(({ exists, selectFrom }) => exists(selectFrom('wallets').select(sql`1`.as('one'))
      .where('id', '=', q.walletId).where('tenant', '=', q.tenant)));
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
  if (q.operationType !== undefined) query = query.where('operation_type', '=', q.operationType);
  if (q.createdFrom !== undefined) query = query.where('created_at', '>=', q.createdFrom);
  if (q.createdTo !== undefined) query = query.where('created_at', '<', q.createdTo);
  return query.orderBy('seq', 'desc').limit(q.rows).execute();
}
