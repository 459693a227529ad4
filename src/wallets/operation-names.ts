/**
 * Every list of names the wallet domain uses, defined once. Types are derived from the lists,
 * so a new name is added here and the compiler finds every place that must handle it.
 */

/** What an operation does to its wallet (POST .../operation takes these). */
export const OPERATION_TYPES = ['DEPOSIT', 'WITHDRAW'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/**
 * A transfer's two ledger legs: TRANSFER_OUT on the source wallet (the row the engine is asked to
 * apply, carrying the Idempotency-Key), TRANSFER_IN on the target (written with it, never alone).
 */
export const TRANSFER_LEG_TYPES = ['TRANSFER_OUT', 'TRANSFER_IN'] as const;
export type TransferLegType = (typeof TRANSFER_LEG_TYPES)[number];

/**
 * A reversal's ledger rows: REVERSAL_OUT takes a deposit back (or, on a transfer's target, pays
 * the transfer back); REVERSAL_IN gives a withdrawal back (or credits a transfer's source).
 */
export const REVERSAL_TYPES = ['REVERSAL_OUT', 'REVERSAL_IN'] as const;

/**
 * What the engine applies: deposits, withdrawals, transfers (submitted as their outgoing leg) and
 * reversals (the database picks the reversal's direction from the original).
 */
export type EngineOperationType = OperationType | 'TRANSFER_OUT' | 'REVERSAL';

/** Every type a ledger row can have (history, GET of one operation). */
export const LEDGER_TYPES = [...OPERATION_TYPES, ...TRANSFER_LEG_TYPES, ...REVERSAL_TYPES] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

/** Money taken from the wallet by a row of this type (else added). */
export const DEBIT_TYPES: ReadonlySet<LedgerType> = new Set<LedgerType>(['WITHDRAW', 'TRANSFER_OUT', 'REVERSAL_OUT']);

/** Status of a ledger row: applied, or refused and kept because it carried an Idempotency-Key. */
export const STORED_STATUSES = ['SUCCESS', 'REJECTED'] as const;
export type StoredStatus = (typeof STORED_STATUSES)[number];

/**
 * The `status` of an operation answer: a stored status, or FAILED (certainly not applied) or
 * PENDING (may have been applied; GET the operation to learn it).
 */
export const OPERATION_STATUSES = [...STORED_STATUSES, 'FAILED', 'PENDING'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** What apply_operations (db/changelog/changes/003, 011, 012) says it did with each operation. */
export const APPLY_OUTCOMES = [
  'APPLIED', 'REJECTED_FUNDS', 'REJECTED_LIMIT', 'EXISTING', 'REPLAY', 'KEY_CONFLICT', 'NOT_FOUND',
  // reversals only (changeset 012)
  'ORIGINAL_NOT_FOUND', 'NOT_REVERSIBLE', 'ALREADY_REVERSED',
] as const;
export type ApplyOutcome = (typeof APPLY_OUTCOMES)[number];

/**
 * How a deposit/withdraw request ended, as counted by metrics and the dashboard. Decided once by
 * the service (or, for requests that never reached it, by the metrics hook: INVALID or ERROR).
 * REJECTED: refused by a business rule (insufficient funds, balance limit), nothing changed.
 * INVALID: the request itself was malformed (validation 422, malformed JSON 400).
 */
export const REQUEST_OUTCOMES = [
  ...OPERATION_STATUSES, 'NOT_FOUND', 'KEY_CONFLICT', 'INVALID', 'UNAVAILABLE', 'ERROR',
] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];
