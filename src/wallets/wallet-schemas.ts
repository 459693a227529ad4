/**
 * Request and response schemas: validation, TypeScript types and OpenAPI from one source.
 * The operation body has its own validator (validateOperationBody) so that amounts are checked
 * as exact text and every problem is reported in FastAPI's 422 shape.
 */
import { Type, type Static } from 'typebox';
import { checkAmount, MONEY_MAX } from './money.js';
import { RequestValidationError, type ValidationItem } from '../plugins/validation-error.js';

const isoExample = '2026-11-25T12:00:00.000Z';
const walletIdExample = '3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b';
const operationIdExample = '9b2e7c4d-1f3a-4e6b-8c9d-0a1b2c3d4e5f';

export const Money = Type.String({
  pattern: '^\\d{1,16}\\.\\d{2}$',
  description: 'Decimal amount as a string with exactly two decimals',
  examples: ['100.00'],
});

export const WalletIdParams = Type.Object({
  wallet_id: Type.String({ format: 'uuid', description: 'Wallet id (UUID)', examples: [walletIdExample] }),
});

export const OperationParams = Type.Object({
  wallet_id: Type.String({ format: 'uuid', description: 'Wallet id (UUID)', examples: [walletIdExample] }),
  operation_id: Type.String({ format: 'uuid', description: 'Operation id (UUID)', examples: [operationIdExample] }),
});

export const OperationHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x20-\\x7E]+$',
    description: 'Optional key (1-255 printable ASCII characters), scoped to the wallet. The same key with the same ' +
      'body returns the first outcome again (header Idempotency-Replayed: true) and is never applied twice; the same ' +
      'key with a different body is refused with 422.',
    examples: ['order-42-payment'],
  })),
});

export const OperationType = Type.Unsafe<'DEPOSIT' | 'WITHDRAW'>({ type: 'string', enum: ['DEPOSIT', 'WITHDRAW'] });

/** Marker read by the app's validator compiler: this body is checked by validateOperationBody. */
export const OPERATION_BODY_VALIDATOR = 'operation-body';

export const OperationBody = Type.Object({
  operation_type: OperationType,
  amount: Type.Unsafe<string>({
    anyOf: [
      { type: 'string', pattern: '^\\d+(\\.\\d{1,2})?$' },
      { type: 'number' },
    ],
    description: `Greater than 0, at most ${MONEY_MAX}, at most two decimals. A string, or a JSON number taken by ` +
      'its exact text (0.1 means 0.10; no exponent forms, NaN or Infinity).',
    examples: ['100.00'],
  }),
}, {
  'x-validator': OPERATION_BODY_VALIDATOR,
  examples: [{ operation_type: 'DEPOSIT', amount: '100.00' }, { operation_type: 'WITHDRAW', amount: 25.5 }],
});
export type OperationBodyValue = { operation_type: 'DEPOSIT' | 'WITHDRAW'; amount: string };

export const Wallet = Type.Object({
  id: Type.String({ format: 'uuid' }),
  balance: Money,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
}, {
  examples: [{ id: walletIdExample, balance: '0.00', created_at: isoExample, updated_at: isoExample }],
});

export const Operation = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The stored operation id (also for FAILED/PENDING: the id it was tried with)' }),
  wallet_id: Type.String({ format: 'uuid' }),
  operation_type: OperationType,
  amount: Money,
  status: Type.Unsafe<'SUCCESS' | 'REJECTED' | 'FAILED' | 'PENDING'>({
    type: 'string',
    enum: ['SUCCESS', 'REJECTED', 'FAILED', 'PENDING'],
    description: 'SUCCESS: applied. FAILED: certainly not applied (database unavailable). PENDING: the outcome could ' +
      'not be confirmed; GET the operation to learn it. REJECTED appears only on GET of a refused operation that ' +
      'carried an Idempotency-Key.',
  }),
  balance: Type.Union([Money, Type.Null()], { description: 'Wallet balance right after this operation; null when FAILED or PENDING' }),
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

export type WalletIdParamsT = Static<typeof WalletIdParams>;

const OPERATION_TYPES = new Set(['DEPOSIT', 'WITHDRAW']);

/** Checks the operation body; every problem is reported, as FastAPI does. */
export function validateOperationBody(body: unknown): { value: OperationBodyValue } | { error: RequestValidationError } {
  if (body === undefined || body === null) {
    return { error: new RequestValidationError([{ loc: ['body'], msg: 'Field required', type: 'missing' }]) };
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    return { error: new RequestValidationError([{
      loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type',
    }]) };
  }
  const record = body as Record<string, unknown>;
  const items: ValidationItem[] = [];
  const type = Object.hasOwn(record, 'operation_type') ? record.operation_type : undefined;
  if (type === undefined) {
    items.push({ loc: ['body', 'operation_type'], msg: 'Field required', type: 'missing' });
  } else if (typeof type !== 'string' || !OPERATION_TYPES.has(type)) {
    items.push({ loc: ['body', 'operation_type'], msg: "Input should be 'DEPOSIT' or 'WITHDRAW'", type: 'enum' });
  }
  const amount = checkAmount(Object.hasOwn(record, 'amount') ? record.amount : undefined);
  if (!amount.ok) items.push({ loc: ['body', 'amount'], msg: amount.msg, type: amount.type });
  if (items.length > 0 || !amount.ok) return { error: new RequestValidationError(items) };
  return { value: { operation_type: type as 'DEPOSIT' | 'WITHDRAW', amount: amount.value } };
}
