/** The history endpoint's schemas: validation, types (Static) and OpenAPI from one source. */
import { Type, type Static } from 'typebox';
import { STORED_STATUSES, type StoredStatus } from '../ledger/names.js';
import { LedgerType, Money } from '../ledger/ledger-schemas.js';

const walletIdExample = '3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b';
const cursorExample = 'eyJ2IjoxLCJ3IjoiM2YxYzZiMWUtOGE4ZS00YzU1LTlhNTgtMWIyZjJkM2U0YTViIiwicyI6IjQ5In0';

export const HISTORY_LIMIT_MAX = 500;
export const HISTORY_LIMIT_DEFAULT = 50;

export const HistoryQuerystring = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: HISTORY_LIMIT_MAX, default: HISTORY_LIMIT_DEFAULT,
    description: `Page size, 1-${HISTORY_LIMIT_MAX}`, examples: [HISTORY_LIMIT_DEFAULT] }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512,
    description: 'Opaque: the next_cursor of the previous page. Pages are stable while new operations arrive.',
    examples: [cursorExample] })),
  operation_type: Type.Optional(LedgerType),
  created_from: Type.Optional(Type.String({ format: 'date-time', description: 'Only operations created at or after this instant',
    examples: ['2026-11-25T00:00:00Z'] })),
  created_to: Type.Optional(Type.String({ format: 'date-time', description: 'Only operations created before this instant',
    examples: ['2026-11-26T00:00:00Z'] })),
});

export const HistoryItem = Type.Object({
  id: Type.String({ format: 'uuid' }),
  wallet_id: Type.String({ format: 'uuid' }),
  seq: Type.Integer({ description: "Position in the wallet's ledger (1, 2, 3, ...)" }),
  operation_type: LedgerType,
  amount: Money,
  status: Type.Unsafe<StoredStatus>({ type: 'string', enum: [...STORED_STATUSES],
    description: 'SUCCESS: applied. REJECTED: refused but kept because it carried an Idempotency-Key (balance unchanged).' }),
  balance: Money,
  actor: Type.Union([Type.String({ pattern: '^[0-9a-f]{16}$' }), Type.Null()], {
    description: 'Id of the API key that caused the operation; null for operations written without a key ' +
      '(before access control, or under AUTH_REQUIRED=false)', examples: ['4f1c9a0b2d3e5f60'] }),
  counterparty_wallet_id: Type.Optional(Type.String({ format: 'uuid',
    description: 'For a transfer leg (TRANSFER_OUT / TRANSFER_IN): the other wallet; the leg\'s id is the transfer id, ' +
      'so the counterparty\'s history holds the matching leg with the same id' })),
  reverses_id: Type.Optional(Type.String({ format: 'uuid', description: 'For a reversal: the id of the row it reverses (in this history)' })),
  reversed_by: Type.Optional(Type.String({ format: 'uuid', description: 'The id of the reversal that undid this row (in this history)' })),
  hold_id: Type.Optional(Type.String({ format: 'uuid', description: 'For a CAPTURE: the hold it captured (GET /api/v1/holds/{hold_id}); ' +
    'the same as the row\'s id' })),
  created_at: Type.String({ format: 'date-time' }),
  detail: Type.Optional(Type.String({ description: 'Why a REJECTED operation was refused' })),
});

export const HistoryPage = Type.Object({
  items: Type.Array(HistoryItem),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next (older) page; null on the last page' }),
}, {
  examples: [{
    items: [
      { id: '9b2e7c4d-1f3a-4e6b-8c9d-0a1b2c3d4e5f', wallet_id: walletIdExample, seq: 51, operation_type: 'WITHDRAW',
        amount: '25.00', status: 'SUCCESS', balance: '75.00', actor: '4f1c9a0b2d3e5f60', created_at: '2026-11-25T12:00:01.000Z' },
      { id: '1c4f2a9e-7b3d-4f1a-9e2c-5d6b7a8c9d0e', wallet_id: walletIdExample, seq: 50, operation_type: 'DEPOSIT',
        amount: '100.00', status: 'SUCCESS', balance: '100.00', actor: '4f1c9a0b2d3e5f60', created_at: '2026-11-25T12:00:00.000Z' },
    ],
    next_cursor: cursorExample,
  }],
});
export type HistoryItem = Static<typeof HistoryItem>;
export type HistoryPage = Static<typeof HistoryPage>;
