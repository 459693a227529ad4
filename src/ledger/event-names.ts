/**
 * Every event type name, defined once. The triggers write the same names: on operations
 * (db/changelog/changes/015-events-outbox.sql; test/events/feed.test.ts checks that every ledger
 * row type maps as eventTypeOf says), on holds (016-hold-events.sql, HOLD_EVENT_TYPES) and on
 * wallet_changes (031-wallet-changes.sql: 'wallet.' || kind).
 */
import type { HoldStatus, LedgerType, StoredStatus } from './names.js';

export const EVENT_TYPES = [
  'operation.succeeded', 'operation.rejected',
  'transfer.sent', 'transfer.received', 'transfer.rejected',
  'reversal.succeeded', 'reversal.rejected',
  'hold.created', 'hold.rejected', 'hold.captured', 'hold.voided', 'hold.expired',
  // changeset 031: a wallet's creation and each PATCH, with the wallet as GET shows it and `changes`
  'wallet.created', 'wallet.updated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The type the trigger gives a ledger row (mirrors its CASE; tests compare the two). */
export function eventTypeOf(type: LedgerType, status: StoredStatus): EventType {
  const ok = status === 'SUCCESS';
  switch (type) {
    case 'DEPOSIT':
    case 'WITHDRAW': return ok ? 'operation.succeeded' : 'operation.rejected';
    case 'TRANSFER_OUT': return ok ? 'transfer.sent' : 'transfer.rejected';
    case 'TRANSFER_IN': return 'transfer.received';
    case 'REVERSAL_OUT':
    case 'REVERSAL_IN': return ok ? 'reversal.succeeded' : 'reversal.rejected';
    // A capture's ledger row is an operation on the wallet (its data says CAPTURE); the hold's own
    // change is the hold.captured event, written with it.
    case 'CAPTURE': return ok ? 'operation.succeeded' : 'operation.rejected';
  }
}

/** The event a hold's stored status makes (the trigger of changeset 016). */
export const HOLD_EVENT_TYPES: Record<HoldStatus, EventType> = {
  HELD: 'hold.created', REJECTED: 'hold.rejected', CAPTURED: 'hold.captured', VOIDED: 'hold.voided', EXPIRED: 'hold.expired',
};
