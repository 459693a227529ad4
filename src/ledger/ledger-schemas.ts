/**
 * The shapes every money feature shares: validation, TypeScript types (Static) and OpenAPI from one
 * source. Amounts are checked by the Ajv format `money` (src/plugins/validation.ts registers it), so
 * the schema OpenAPI shows is the one that validates; a JSON number arrives as its exact source text
 * (lossless parsing) and meets the same check.
 */
import { Type, type Static } from 'typebox';
import { MONEY_MAX, SCALE_MAX } from './money.js';
import { LEDGER_TYPES, type LedgerType as LedgerTypeName, OPERATION_STATUSES, type OperationStatus } from './names.js';

export const isoExample = '2026-11-25T12:00:00.000Z';
export const walletIdExample = '3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b';
export const operationIdExample = '9b2e7c4d-1f3a-4e6b-8c9d-0a1b2c3d4e5f';

/** Money in answers: a decimal string with exactly the wallet's scale in decimals (two by default). */
export const Money = Type.String({
  pattern: `^-?\\d{1,16}(\\.\\d{1,${SCALE_MAX}})?$`,
  description: 'Decimal amount as a string with exactly the wallet\'s scale in decimals: "100.00" (USD, the default), ' +
    '"100" (JPY), "1.000" (KWD), "0.00000001" (an asset of scale 8). Negative only for a balance below 0 (min_balance)',
  examples: ['100.00'],
});

/** Money in requests: checked by the `money` format (greater than 0, 16 integer digits, up to 18 decimals), then against the wallet's scale. */
export const Amount = Type.String({
  format: 'money',
  description: `Greater than 0, at most 16 integer digits (${MONEY_MAX} for two decimals), at most the wallet's scale in ` +
    'decimals (two by default; more is 422). A string, or a JSON number taken by its exact text (0.1 means 0.10; no ' +
    'exponent forms, NaN or Infinity).',
  examples: ['100.00'],
});

export const Uuid = (description: string, example: string) => Type.String({ format: 'uuid', description, examples: [example] });

export const WalletIdParams = Type.Object({ wallet_id: Uuid('Wallet id (UUID)', walletIdExample) });
export type WalletIdParams = Static<typeof WalletIdParams>;


/** The optional Idempotency-Key header every money-movement POST takes; only its scope and example differ. */
export const idempotencyKeyHeaders = (description: string, example: string) => Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x20-\\x7E]+$',
    description: `Optional key (1-255 printable ASCII characters), ${description}`,
    examples: [example],
  })),
});

export const ReversalHeaders = idempotencyKeyHeaders('scoped to the wallet (the source wallet for a transfer). ' +
  'A retry with the same key replays the reversal (Idempotency-Replayed: true); without a key a second reversal is 409.',
  'refund-order-42');
export type ReversalHeaders = Static<typeof ReversalHeaders>;

/** A ledger row's type: deposits, withdrawals and the two legs of a transfer. */
export const LedgerType = Type.Unsafe<LedgerTypeName>({
  enum: [...LEDGER_TYPES],
  description: 'DEPOSIT, WITHDRAW, a leg of a transfer: TRANSFER_OUT (on the source wallet) / TRANSFER_IN (on the target), ' +
    'a reversal: REVERSAL_OUT / REVERSAL_IN, or CAPTURE (a captured hold; its id is the hold id)',
  examples: ['DEPOSIT'],
});

export const Operation = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The stored operation id (also for FAILED/PENDING: the id it was tried with)' }),
  wallet_id: Type.String({ format: 'uuid' }),
  operation_type: LedgerType,
  amount: Money,
  status: Type.Unsafe<OperationStatus>({
    type: 'string',
    enum: [...OPERATION_STATUSES],
    description: 'SUCCESS: applied. FAILED: certainly not applied (database unavailable). PENDING: the outcome could ' +
      'not be confirmed; GET the operation to learn it. REJECTED appears only on GET of a refused operation that ' +
      'carried an Idempotency-Key.',
  }),
  balance: Type.Union([Money, Type.Null()], { description: 'Wallet balance right after this operation; null when FAILED or PENDING' }),
  counterparty_wallet_id: Type.Optional(Type.String({ format: 'uuid',
    description: 'For a transfer leg: the other wallet (the target of a TRANSFER_OUT, the source of a TRANSFER_IN). ' +
      'The leg\'s id is the transfer id.' })),
  reverses_id: Type.Optional(Type.String({ format: 'uuid', description: 'For a reversal: the id of the operation (or transfer) it reverses' })),
  reversed_by: Type.Optional(Type.String({ format: 'uuid', description: 'The id of the reversal that undid this operation, if any' })),
  hold_id: Type.Optional(Type.String({ format: 'uuid', description: 'For a CAPTURE: the hold it captured (the same id)' })),
  created_at: Type.String({ format: 'date-time' }),
  detail: Type.Optional(Type.String()),
}, {
  examples: [
    { id: operationIdExample, wallet_id: walletIdExample, operation_type: 'DEPOSIT', amount: '100.00',
      status: 'SUCCESS', balance: '100.00', created_at: isoExample },
    { id: operationIdExample, wallet_id: walletIdExample, operation_type: 'DEPOSIT', amount: '100.00',
      status: 'FAILED', balance: null, created_at: isoExample, detail: 'Database unavailable; the operation was not applied, please retry' },
  ],
});
export type Operation = Static<typeof Operation>;

