/**
 * Request and response schemas: validation, TypeScript types (Static) and OpenAPI from one source.
 * Amounts are checked by the Ajv format `money` (src/plugins/validation.ts registers it), so the
 * schema OpenAPI shows is the one that validates; a JSON number arrives as its exact source text
 * (lossless parsing) and meets the same check.
 */
import { Type, type Static } from 'typebox';
import { MONEY_MAX } from './money.js';
import {
  HOLD_ANSWER_STATUSES, HOLD_STATUSES, type HoldAnswerStatus, type HoldStatus, LEDGER_TYPES, type LedgerType as LedgerTypeName, OPERATION_STATUSES, OPERATION_TYPES,
  type OperationStatus, type OperationType as OperationTypeName,
} from './operation-names.js';

const isoExample = '2026-11-25T12:00:00.000Z';
const walletIdExample = '3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b';
const operationIdExample = '9b2e7c4d-1f3a-4e6b-8c9d-0a1b2c3d4e5f';

/** Money in answers: a decimal string with exactly two decimals. */
export const Money = Type.String({
  pattern: '^\\d{1,16}\\.\\d{2}$',
  description: 'Decimal amount as a string with exactly two decimals',
  examples: ['100.00'],
});

/** Money in requests: checked by the `money` format (greater than 0, at most MONEY_MAX, two decimals). */
export const Amount = Type.String({
  format: 'money',
  description: `Greater than 0, at most ${MONEY_MAX}, at most two decimals. A string, or a JSON number taken by ` +
    'its exact text (0.1 means 0.10; no exponent forms, NaN or Infinity).',
  examples: ['100.00'],
});

const Uuid = (description: string, example: string) => Type.String({ format: 'uuid', description, examples: [example] });

export const WalletIdParams = Type.Object({ wallet_id: Uuid('Wallet id (UUID)', walletIdExample) });
export type WalletIdParams = Static<typeof WalletIdParams>;

export const OperationParams = Type.Object({
  wallet_id: Uuid('Wallet id (UUID)', walletIdExample),
  operation_id: Uuid('Operation id (UUID)', operationIdExample),
});
export type OperationParams = Static<typeof OperationParams>;

/** The optional Idempotency-Key header every money-movement POST takes; only its scope and example differ. */
const idempotencyKeyHeaders = (description: string, example: string) => Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x20-\\x7E]+$',
    description: `Optional key (1-255 printable ASCII characters), ${description}`,
    examples: [example],
  })),
});

export const OperationHeaders = idempotencyKeyHeaders('scoped to the wallet. The same key with the same ' +
  'body returns the first outcome again (header Idempotency-Replayed: true) and is never applied twice; the same ' +
  'key with a different body is refused with 422.',
  'order-42-payment');
export type OperationHeaders = Static<typeof OperationHeaders>;

/** No `type` keyword: a non-string gets the one enum error FastAPI gives, not two. */
export const OperationType = Type.Unsafe<OperationTypeName>({ enum: [...OPERATION_TYPES], examples: ['DEPOSIT'] });

/** A ledger row's type: deposits, withdrawals and the two legs of a transfer. */
export const LedgerType = Type.Unsafe<LedgerTypeName>({
  enum: [...LEDGER_TYPES],
  description: 'DEPOSIT, WITHDRAW, a leg of a transfer: TRANSFER_OUT (on the source wallet) / TRANSFER_IN (on the target), ' +
    'a reversal: REVERSAL_OUT / REVERSAL_IN, or CAPTURE (a captured hold; its id is the hold id)',
  examples: ['DEPOSIT'],
});

export const OperationBody = Type.Object({
  operation_type: OperationType,
  amount: Amount,
}, {
  examples: [{ operation_type: 'DEPOSIT', amount: '100.00' }, { operation_type: 'WITHDRAW', amount: 25.5 }],
});
export type OperationBody = Static<typeof OperationBody>;

export const Wallet = Type.Object({
  id: Type.String({ format: 'uuid' }),
  balance: Money,
  available_balance: Type.String({ ...Money, description: 'balance minus the amounts of active (HELD, unexpired) holds: what ' +
    'withdrawals, transfers and new holds may take' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
}, {
  examples: [{ id: walletIdExample, balance: '100.00', available_balance: '70.00', created_at: isoExample, updated_at: isoExample }],
});
export type Wallet = Static<typeof Wallet>;

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

export const ErrorDetail = (description: string, example: string) => Type.Object({
  detail: Type.String(),
}, { description, examples: [{ detail: example }] });

export const ValidationErrorBody = Type.Object({
  detail: Type.Union([
    Type.Array(Type.Object({
      loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
      msg: Type.String(),
      type: Type.String(),
    })),
    Type.String(),
  ]),
}, {
  description: 'Validation error (FastAPI shape), or an Idempotency-Key reused with a different body',
  examples: [{ detail: [{ loc: ['body', 'amount'], msg: 'Input should be greater than 0', type: 'greater_than' }] }],
});

export const Overloaded503 = ErrorDetail('Overloaded: too many queued operations (retry after Retry-After seconds)',
  'Service overloaded, please retry later');
export const NotFoundWallet = ErrorDetail('Wallet not found', 'Wallet not found');
export const Unavailable = ErrorDetail('Database unavailable (retry after the Retry-After seconds)', 'Database unavailable, please retry later');

const transferIdExample = '5d0c2a8f-3b7e-4d1a-9f6c-2e8b7a4d3c1f';
const targetWalletIdExample = '7a9d3e2b-4c1f-4b8a-8e6d-5f0a1b2c3d4e';

export const TransferBody = Type.Object({
  from_wallet_id: Uuid('Source wallet id (UUID)', walletIdExample),
  to_wallet_id: Uuid('Target wallet id (UUID); must differ from from_wallet_id', targetWalletIdExample),
  amount: Amount,
}, {
  examples: [{ from_wallet_id: walletIdExample, to_wallet_id: targetWalletIdExample, amount: '25.00' }],
});
export type TransferBody = Static<typeof TransferBody>;

export const TransferHeaders = idempotencyKeyHeaders('scoped to the source wallet (shared with its deposits ' +
  'and withdrawals). The same key with the same body returns the first outcome again (header Idempotency-Replayed: ' +
  'true) and is never applied twice; the same key with a different body is refused with 422.',
  'invoice-1001-settlement');
export type TransferHeaders = Static<typeof TransferHeaders>;

export const TransferIdParams = Type.Object({ transfer_id: Uuid('Transfer id (UUID)', transferIdExample) });

export const ReversalHeaders = idempotencyKeyHeaders('scoped to the wallet (the source wallet for a transfer). ' +
  'A retry with the same key replays the reversal (Idempotency-Replayed: true); without a key a second reversal is 409.',
  'refund-order-42');
export type ReversalHeaders = Static<typeof ReversalHeaders>;
export type TransferIdParams = Static<typeof TransferIdParams>;

export const Transfer = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The transfer id, also the id of both ledger legs' }),
  from_wallet_id: Type.String({ format: 'uuid' }),
  to_wallet_id: Type.String({ format: 'uuid' }),
  amount: Money,
  status: Type.Unsafe<OperationStatus>({
    type: 'string',
    enum: [...OPERATION_STATUSES],
    description: 'SUCCESS: both legs applied in one transaction. FAILED: certainly not applied. PENDING: the outcome ' +
      'could not be confirmed; GET the transfer to learn it. REJECTED appears only on GET of a refused transfer that ' +
      'carried an Idempotency-Key.',
  }),
  reverses_id: Type.Optional(Type.String({ format: 'uuid',
    description: 'For the reversal of a transfer: the transfer it reverses (money then flows from its target back to its source)' })),
  from_balance: Type.Union([Money, Type.Null()], { description: 'Source balance right after the transfer; null when FAILED or PENDING' }),
  to_balance: Type.Union([Money, Type.Null()], { description: 'Target balance right after the transfer; null unless SUCCESS' }),
  created_at: Type.String({ format: 'date-time' }),
  detail: Type.Optional(Type.String()),
}, {
  examples: [
    { id: transferIdExample, from_wallet_id: walletIdExample, to_wallet_id: targetWalletIdExample, amount: '25.00',
      status: 'SUCCESS', from_balance: '75.00', to_balance: '25.00', created_at: isoExample },
    { id: transferIdExample, from_wallet_id: walletIdExample, to_wallet_id: targetWalletIdExample, amount: '25.00',
      status: 'PENDING', from_balance: null, to_balance: null, created_at: isoExample,
      detail: 'The database connection was lost while committing and the outcome could not be confirmed in time; ' +
        'GET the operation (or retry with the same Idempotency-Key) to learn the final outcome' },
  ],
});
export type Transfer = Static<typeof Transfer>;

const holdIdExample = '2c7e9f4a-6b1d-4e3c-8a5f-9d0b1c2e3f4a';

export const HoldIdParams = Type.Object({ hold_id: Uuid('Hold id (UUID)', holdIdExample) });
export type HoldIdParams = Static<typeof HoldIdParams>;

/** The body of POST /wallets/{id}/holds; the expiry bound comes from the configuration (HOLD_EXPIRES_IN_SECONDS_MAX). */
export const HoldBody = (expiresInSecondsDefault: number, expiresInSecondsMax: number) => Type.Object({
  amount: Amount,
  expires_in_seconds: Type.Optional(Type.Integer({
    minimum: 1, maximum: expiresInSecondsMax,
    description: `Seconds until the hold lapses and its amount is released (1-${expiresInSecondsMax}; default ` +
      `${expiresInSecondsDefault})`,
    examples: [3600],
  })),
}, { examples: [{ amount: '30.00', expires_in_seconds: 3600 }] });
export type HoldBody = Static<ReturnType<typeof HoldBody>>;

export const CaptureBody = Type.Object({
  amount: Type.Optional(Type.String({ ...Amount, description: 'At most the held amount (the rest is released); default: all of it' })),
}, { examples: [{ amount: '25.00' }, {}] });
export type CaptureBody = Static<typeof CaptureBody>;

export const HoldHeaders = idempotencyKeyHeaders('placing a hold: scoped to the wallet\'s holds. Capture / ' +
  'void: scoped to the hold; a retry with the key that closed the hold replays that answer (Idempotency-Replayed: true), ' +
  'any other capture or void of a closed hold is 409. The same key with a different body is 422.',
  'order-42-authorization');
export type HoldHeaders = Static<typeof HoldHeaders>;

const dateTimeOrNull = (description: string) => Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });

export const Hold = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The hold id; a capture\'s ledger row (CAPTURE) carries it as its id' }),
  wallet_id: Type.String({ format: 'uuid' }),
  amount: Type.String({ ...Money, description: 'The amount reserved' }),
  status: Type.Unsafe<HoldAnswerStatus>({
    type: 'string',
    enum: [...HOLD_ANSWER_STATUSES],
    description: 'HELD: reserved (counted out of available_balance). CAPTURED: captured_amount taken (a CAPTURE ledger row), ' +
      'the rest released. VOIDED: released. EXPIRED: released at expires_at. REJECTED: only on GET / replay of a refused ' +
      'hold that carried an Idempotency-Key. FAILED: certainly not applied. PENDING: the outcome could not be confirmed; ' +
      'GET the hold to learn it.',
  }),
  captured_amount: Type.Optional(Type.String({ ...Money, description: 'CAPTURED only: the amount taken' })),
  expires_at: dateTimeOrNull('When an uncaptured hold lapses; null only for FAILED / PENDING answers to a new hold'),
  created_at: Type.String({ format: 'date-time' }),
  closed_at: Type.Optional(Type.String({ format: 'date-time', description: 'When it was captured, voided or expired (for EXPIRED: expires_at)' })),
  available_balance: Type.Union([Money, Type.Null()], {
    description: 'The wallet\'s available balance (balance minus active holds) right after the hold\'s last change: its ' +
      'creation while HELD, its capture or void once closed; null when EXPIRED, FAILED or PENDING (GET the wallet for the current one)',
  }),
  detail: Type.Optional(Type.String()),
}, {
  examples: [
    { id: holdIdExample, wallet_id: walletIdExample, amount: '30.00', status: 'HELD', expires_at: '2026-11-25T13:00:00.000Z',
      created_at: isoExample, available_balance: '70.00' },
    { id: holdIdExample, wallet_id: walletIdExample, amount: '30.00', status: 'CAPTURED', captured_amount: '25.00',
      expires_at: '2026-11-25T13:00:00.000Z', created_at: isoExample, closed_at: '2026-11-25T12:10:00.000Z', available_balance: '75.00' },
  ],
});

export const HOLDS_LIMIT_MAX = 500;
export const HOLDS_LIMIT_DEFAULT = 50;

export const HoldsQuerystring = Type.Object({
  status: Type.Optional(Type.Unsafe<HoldStatus>({ type: 'string', enum: [...HOLD_STATUSES],
    description: 'Only holds in this state, as GET /holds/{id} shows it (a HELD hold past its expiry is EXPIRED)', examples: ['HELD'] })),
  limit: Type.Integer({ minimum: 1, maximum: HOLDS_LIMIT_MAX, default: HOLDS_LIMIT_DEFAULT, description: `Page size, 1-${HOLDS_LIMIT_MAX}` }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Opaque: the next_cursor of the previous page' })),
});
export type HoldsQuerystring = Static<typeof HoldsQuerystring>;

export const HoldPage = Type.Object({
  items: Type.Array(Hold),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page' }),
}, { examples: [{ items: [{ id: holdIdExample, wallet_id: walletIdExample, amount: '30.00', status: 'HELD',
  expires_at: '2026-11-25T13:00:00.000Z', created_at: isoExample, available_balance: '70.00' }], next_cursor: null }] });
export type HoldPage = Static<typeof HoldPage>;
export type Hold = Static<typeof Hold>;
