/** Deposits and withdrawals: the request's schemas (the answer is the ledger's Operation). */
import { Type, type Static } from 'typebox';
import { OPERATION_TYPES, type OperationType as OperationTypeName } from '../ledger/names.js';
import { Amount, idempotencyKeyHeaders, operationIdExample, Uuid, walletIdExample } from '../ledger/ledger-schemas.js';

export const OperationParams = Type.Object({
  wallet_id: Uuid('Wallet id (UUID)', walletIdExample),
  operation_id: Uuid('Operation id (UUID)', operationIdExample),
});
export type OperationParams = Static<typeof OperationParams>;

export const OperationHeaders = idempotencyKeyHeaders('scoped to the wallet. The same key with the same ' +
  'body returns the first outcome again (header Idempotency-Replayed: true) and is never applied twice; the same ' +
  'key with a different body is refused with 422.',
  'order-42-payment');
export type OperationHeaders = Static<typeof OperationHeaders>;

/** No `type` keyword: a non-string gets the one enum error FastAPI gives, not two. */
export const OperationType = Type.Unsafe<OperationTypeName>({ enum: [...OPERATION_TYPES], examples: ['DEPOSIT'] });

export const OperationBody = Type.Object({
  operation_type: OperationType,
  amount: Amount,
}, {
  examples: [{ operation_type: 'DEPOSIT', amount: '100.00' }, { operation_type: 'WITHDRAW', amount: 25.5 }],
});
export type OperationBody = Static<typeof OperationBody>;

