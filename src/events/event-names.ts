/**
 * Every event type name, defined once (the trigger in db/changelog/changes/015-events-outbox.sql
 * writes the same names; test/events/event-names.test.ts checks that every ledger row type maps
 * to one of these). Holds (issue 11) will add hold.created / captured / voided / expired from a
 * trigger on their table.
 */
import type { LedgerType, StoredStatus } from '../wallets/operation-names.js';

export const EVENT_TYPES = [
  'operation.succeeded', 'operation.rejected',
  'transfer.sent', 'transfer.received', 'transfer.rejected',
  'reversal.succeeded', 'reversal.rejected',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const known = new Set<string>(EVENT_TYPES);
export function isEventType(value: string): value is EventType {
  return known.has(value);
}

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
