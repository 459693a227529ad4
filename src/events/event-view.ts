/**
 * An event as the feed and the webhooks show it, built from its stored row. The payload was
 * written by the trigger as the API's view of the object; a refusal's `detail` is derived text,
 * added here by the same function the API uses (refusalFor), so both say the same words.
 */
import { MONEY_MAX } from '../wallets/money.js';
import type { LedgerType } from '../wallets/operation-names.js';
import { InsufficientAvailable, refusalFor } from '../wallets/wallet-errors.js';
import type { EventType } from './event-names.js';
import type { EventItem } from './event-schemas.js';

export interface EventRow {
  position: string;
  feed_txid: string;
  id: string;
  type: EventType;
  wallet_id: string;
  wallet_seq: string | null;
  payload: Record<string, unknown>;
  recorded_at: Date;
}

export function eventView(row: EventRow): EventItem {
  const data = { ...row.payload };
  if (row.type === 'hold.rejected') {
    // as GET /holds/{id} says it (src/wallets/hold-service.ts)
    data.detail = new InsufficientAvailable(String(data.available_balance), String(data.amount)).message;
  } else if (data.status === 'REJECTED' && typeof data.operation_type === 'string') {
    data.detail = refusalFor(data.operation_type as LedgerType, String(data.balance), String(data.amount), MONEY_MAX,
      data.counterparty_wallet_id !== undefined).message;
  }
  return {
    id: row.id,
    type: row.type,
    wallet_id: row.wallet_id,
    seq: row.wallet_seq === null ? null : Number(row.wallet_seq),
    created_at: row.recorded_at.toISOString(),
    data,
  };
}
