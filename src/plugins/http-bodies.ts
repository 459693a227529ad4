/** The error bodies every route answers with, in FastAPI's `{"detail": ...}` shape (OpenAPI only: the error handler writes them). */
import { Type } from 'typebox';

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
