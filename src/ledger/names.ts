/**
 * Every list of names the wallet domain uses, defined once. Types are derived from the lists,
 * so a new name is added here and the compiler finds every place that must handle it.
 */

/**
 * A wallet's status: ACTIVE takes every movement; FROZEN takes credits and voids only (debits, new
 * holds and captures are refused); CLOSED takes none (only with balance 0 and nothing held).
 */
export const WALLET_STATUSES = ['ACTIVE', 'FROZEN', 'CLOSED'] as const;
export type WalletStatus = (typeof WALLET_STATUSES)[number];

/** What POST .../operation asks for, and the type of the operation (ledger row) it writes. */
export const OPERATION_TYPES = ['DEPOSIT', 'WITHDRAW'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/**
 * A transfer's two ledger legs: TRANSFER_OUT on the source wallet (the row the engine is asked to
 * apply, carrying the Idempotency-Key), TRANSFER_IN on the target (written with it, never alone).
 */
export const TRANSFER_LEG_TYPES = ['TRANSFER_OUT', 'TRANSFER_IN'] as const;

/**
 * A reversal's ledger rows: REVERSAL_OUT takes a deposit back (or, on a transfer's target, pays
 * the transfer back); REVERSAL_IN gives a withdrawal back (or credits a transfer's source).
 */
export const REVERSAL_TYPES = ['REVERSAL_OUT', 'REVERSAL_IN'] as const;

/**
 * What a hold request asks of the engine: HOLD reserves part of the available balance, CAPTURE
 * takes (part of) a hold as a CAPTURE ledger row and releases the rest, VOID releases it.
 */
export const HOLD_REQUEST_TYPES = ['HOLD', 'CAPTURE', 'VOID'] as const;
export type HoldRequestType = (typeof HOLD_REQUEST_TYPES)[number];

/**
 * A command's type (what the engine applies): deposits, withdrawals, transfers (submitted as their outgoing leg),
 * reversals (the database picks the reversal's direction from the original) and hold requests.
 */
export type CommandType = OperationType | 'TRANSFER_OUT' | 'REVERSAL' | HoldRequestType;

/**
 * The kinds of money-movement request, as metrics label them (wallet_operations_total's `type`):
 * a deposit or withdrawal by its type, then transfers, reversals (of an operation or a transfer)
 * and the three hold requests.
 */
export const REQUEST_KINDS = [...OPERATION_TYPES, 'TRANSFER', 'REVERSAL', ...HOLD_REQUEST_TYPES] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** The ledger row of a capture: a debit whose id is the hold's id. */
export const CAPTURE_TYPE = 'CAPTURE';

/** Every type a ledger row can have (history, GET of one operation). */
export const LEDGER_TYPES = [...OPERATION_TYPES, ...TRANSFER_LEG_TYPES, ...REVERSAL_TYPES, CAPTURE_TYPE] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

/**
 * A hold's stored state: HELD (counted in the wallet's held amount), then CAPTURED, VOIDED or
 * EXPIRED; REJECTED: refused for funds, kept only because it carried an Idempotency-Key.
 */
export const HOLD_STATUSES = ['HELD', 'CAPTURED', 'VOIDED', 'EXPIRED', 'REJECTED'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** The `status` of a hold answer: a stored state, or FAILED / PENDING as for operations. */
export const HOLD_ANSWER_STATUSES = [...HOLD_STATUSES, 'FAILED', 'PENDING'] as const;
export type HoldAnswerStatus = (typeof HOLD_ANSWER_STATUSES)[number];

/** Status of a ledger row: applied, or refused and kept because it carried an Idempotency-Key. */
export const STORED_STATUSES = ['SUCCESS', 'REJECTED'] as const;
export type StoredStatus = (typeof STORED_STATUSES)[number];

/**
 * The `status` of an operation answer: a stored status, or FAILED (certainly not applied) or
 * PENDING (may have been applied; GET the operation to learn it).
 */
export const OPERATION_STATUSES = [...STORED_STATUSES, 'FAILED', 'PENDING'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** What apply_operations (db/changelog/changes/003, 011, 012; functions/apply-operations-v4.sql) says it did with each command. */
export const APPLY_OUTCOMES = [
  'APPLIED', 'REJECTED_FUNDS', 'REJECTED_LIMIT', 'EXISTING', 'REPLAY', 'KEY_CONFLICT', 'NOT_FOUND',
  // reversals only (changeset 012)
  'ORIGINAL_NOT_FOUND', 'NOT_REVERSIBLE', 'ALREADY_REVERSED',
  // capture and void only (apply_operations_v4)
  'HOLD_NOT_FOUND', 'HOLD_CLOSED', 'CAPTURE_EXCEEDS',
  // a wallet's scale, currency and status (apply_operations_v5): nothing stored
  'AMOUNT_SCALE', 'CURRENCY_MISMATCH', 'WALLET_FROZEN', 'WALLET_CLOSED',
] as const;
export type ApplyOutcome = (typeof APPLY_OUTCOMES)[number];

/**
 * How a money-movement request (deposit/withdraw, transfer, reversal, hold, capture, void) ended,
 * as counted by metrics and the dashboard. Decided once by
 * the service (or, for requests that never reached it, by the metrics hook: INVALID or ERROR).
 * REJECTED: refused by a business rule (insufficient funds, balance limit, already reversed, hold
 * closed), nothing changed.
 * INVALID: the request itself was malformed (validation 422, malformed JSON 400).
 */
export const REQUEST_OUTCOMES = [
  ...OPERATION_STATUSES, 'NOT_FOUND', 'KEY_CONFLICT', 'INVALID', 'UNAVAILABLE', 'ERROR',
] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];
