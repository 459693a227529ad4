/**
 * Every list of names the wallet domain uses, defined once. Types are derived from the lists,
 * so a new name is added here and the compiler finds every place that must handle it.
 */

/** What an operation does to its wallet. */
export const OPERATION_TYPES = ['DEPOSIT', 'WITHDRAW'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/** Status of a ledger row: applied, or refused and kept because it carried an Idempotency-Key. */
export const STORED_STATUSES = ['SUCCESS', 'REJECTED'] as const;
export type StoredStatus = (typeof STORED_STATUSES)[number];

/**
 * The `status` of an operation answer: a stored status, or FAILED (certainly not applied) or
 * PENDING (may have been applied; GET the operation to learn it).
 */
export const OPERATION_STATUSES = [...STORED_STATUSES, 'FAILED', 'PENDING'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** What apply_operations (db/changelog/changes/003) says it did with each operation. */
export const APPLY_OUTCOMES = [
  'APPLIED', 'REJECTED_FUNDS', 'REJECTED_LIMIT', 'EXISTING', 'REPLAY', 'KEY_CONFLICT', 'NOT_FOUND',
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
