/**
 * An event as the feed and the webhooks show it, built from its row of the event_log view
 * (changeset 017). A ledger event is built from its immutable ledger row by the API's own view of
 * an operation, as GET /wallets/{w}/operations/{id} showed it when the event was written (so
 * without `reversed_by`, which a later reversal adds), with the refusal's `detail` the API gives.
 * A stored event (a hold's; a ledger event written before 017) carries its payload.
 */
import { MONEY_MAX } from './money.js';
import type { LedgerType, StoredStatus } from './names.js';
import { InsufficientAvailable, refusalFor } from './errors.js';
import { operationView, refusal } from './operation-view.js';
import type { EventType } from './event-names.js';
import type { EventItem } from './event-schemas.js';

export interface EventRow {
  position: string;
  feed_txid: string;
  /** The ledger seq inside a range row; '0' for a stored event. With position and feed_txid: the feed key. */
  seq: string;
  wallet_seq: string | null;
  id: string;
  type: EventType;
  wallet_id: string;
  /** Stored events only. */
  payload: Record<string, unknown> | null;
  recorded_at: Date;
  /** A range row's ledger row (null for a stored event). */
  operation_id: string | null;
  operation_type: LedgerType | null;
  amount: string | null;
  status: StoredStatus | null;
  balance_after: string | null;
  counterparty_wallet_id: string | null;
  reverses_id: string | null;
  held: string | null;
  created_at: Date | null;
}

/** The event_log columns an EventRow reads (feed_txid as text: xid8 has no JSON form). */
export const eventColumns = `position, feed_txid::text AS feed_txid, seq, wallet_seq, id, type, wallet_id, payload, recorded_at,
  operation_id, operation_type, amount, status, balance_after, counterparty_wallet_id, reverses_id, held, created_at`;

function ledgerData(row: EventRow): Record<string, unknown> {
  const op = {
    id: row.operation_id!, wallet_id: row.wallet_id, operation_type: row.operation_type!, amount: row.amount!, status: row.status!,
    balance_after: row.balance_after!, counterparty_wallet_id: row.counterparty_wallet_id, reverses_id: row.reverses_id, held: row.held,
    created_at: row.created_at!,
  };
  const data: Record<string, unknown> = { ...operationView(op) };
  if (op.status === 'REJECTED') data.detail = refusal(op).message;
  return data;
}

function storedData(row: EventRow): Record<string, unknown> {
  const data = { ...row.payload };
  if (row.type === 'hold.rejected') {
    // as GET /holds/{id} says it (src/holds/hold-service.ts)
    data.detail = new InsufficientAvailable(String(data.available_balance), String(data.amount)).message;
  } else if (data.status === 'REJECTED' && typeof data.operation_type === 'string') {
    data.detail = refusalFor(data.operation_type as LedgerType, String(data.balance), String(data.amount), MONEY_MAX,
      data.counterparty_wallet_id !== undefined).message;
  }
  return data;
}

export function eventView(row: EventRow): EventItem {
  return {
    id: row.id,
    type: row.type,
    wallet_id: row.wallet_id,
    seq: row.wallet_seq === null ? null : Number(row.wallet_seq),
    created_at: row.recorded_at.toISOString(),
    data: row.payload === null ? ledgerData(row) : storedData(row),
  };
}
