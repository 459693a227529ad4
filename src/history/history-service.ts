/**
 * A wallet's operation history, newest first, one keyset page at a time:
 * decode the cursor → read one row more than the page → tell an empty page from an unknown
 * wallet → answer the page and the cursor of the next one (null on the last page).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../ledger/tables.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import { formatMoney, MONEY_MAX } from '../ledger/money.js';
import { CAPTURE_TYPE } from '../ledger/names.js';
import { readWithRetry } from '../ledger/read-retry.js';
import type { Caller } from '../ledger/caller.js';
import type { LedgerType } from '../ledger/names.js';
import { InvalidInput, refusalFor, WalletNotFound } from '../ledger/errors.js';
import { walletExists } from '../ledger/ledger-reads.js';
import { decodeCursor, encodeCursor } from './history-cursor.js';
import type { HistoryItem, HistoryPage } from './history-schemas.js';
import { findOperationsPage, type HistoryRow } from './history-repository.js';

export interface HistoryRequest {
  caller: Caller;
  walletId: string;
  limit: number;
  cursor: string | undefined;
  operationType: LedgerType | undefined;
  createdFrom: string | undefined;
  createdTo: string | undefined;
}

function item(row: HistoryRow): HistoryItem {
  const view: HistoryItem = {
    id: row.id,
    wallet_id: row.wallet_id,
    seq: Number(row.seq),
    operation_type: row.operation_type,
    amount: formatMoney(row.amount),
    status: row.status,
    balance: formatMoney(row.balance_after),
    actor: row.actor,
    created_at: row.created_at.toISOString(),
  };
  if (row.counterparty_wallet_id !== null) view.counterparty_wallet_id = row.counterparty_wallet_id;
  if (row.reverses_id !== null) view.reverses_id = row.reverses_id;
  if (row.reversed_by !== null) view.reversed_by = row.reversed_by;
  if (row.operation_type === CAPTURE_TYPE) view.hold_id = row.id; // GET /api/v1/holds/{hold_id}
  // A stored refusal says why, as GET of the single operation does.
  if (row.status === 'REJECTED') {
    view.detail = refusalFor(row.operation_type, view.balance, view.amount, MONEY_MAX, row.counterparty_wallet_id !== null,
      row.held === null ? null : formatMoney(row.held)).message;
  }
  return view;
}

export class HistoryService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
  ) {}

  async listOperations(request: HistoryRequest): Promise<HistoryPage> {
    const beforeSeq = request.cursor === undefined ? undefined : decodeCursor(request.cursor, request.walletId);
    const createdFrom = request.createdFrom === undefined ? undefined : new Date(request.createdFrom);
    const createdTo = request.createdTo === undefined ? undefined : new Date(request.createdTo);
    if (createdFrom && createdTo && createdFrom > createdTo) {
      throw new InvalidInput([{ loc: ['query', 'created_to'], msg: 'created_to must not be before created_from',
        type: 'value_error' }]);
    }
    const rows = await this.read(() => findOperationsPage(this.db, {
      walletId: request.walletId,
      tenant: request.caller.tenant,
      beforeSeq,
      operationType: request.operationType,
      createdFrom,
      createdTo,
      rows: request.limit + 1,
    }));
    if (rows.length === 0 && !(await this.read(() => walletExists(this.db, request.walletId, request.caller.tenant)))) throw new WalletNotFound();
    const page = rows.slice(0, request.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(item),
      next_cursor: rows.length > request.limit && last ? encodeCursor(request.walletId, last.seq) : null,
    };
  }

  /** A read with bounded retries of transient faults; an outage becomes a 503. */
  private read<T>(work: () => Promise<T>): Promise<T> {
    return readWithRetry(this.readPolicy, this.log, work);
  }
}
