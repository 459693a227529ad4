/** HTTP only: parse, call the operation service, answer. No SQL and no business rules here. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callerOf } from '../auth/auth-plugin.js';
import { Operation, ReversalHeaders, WalletIdParams } from '../ledger/ledger-schemas.js';
import { ErrorDetail, NotFoundWallet, Overloaded503, Unavailable, ValidationErrorBody } from '../plugins/http-bodies.js';
import { answer } from '../plugins/submission-reply.js';
import { OperationBody, OperationHeaders, OperationParams } from './operation-schemas.js';
import type { OperationService } from './operation-service.js';

export function operationRoutes(service: OperationService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/api/v1/wallets/:wallet_id/operation', {
      config: { auth: 'wallets:write' },
      schema: {
        tags: ['wallets'],
        summary: 'Deposit to or withdraw from a wallet',
        description: 'Applies the operation atomically under the wallet\'s row lock. 200 with status SUCCESS when ' +
          'applied; 200 with FAILED when certainly not applied (database unavailable), or PENDING when the outcome ' +
          'could not be confirmed (GET the operation to learn it). Send an Idempotency-Key to make retries safe.',
        params: WalletIdParams,
        headers: OperationHeaders,
        body: OperationBody,
        response: {
          200: Operation,
          400: ErrorDetail('Insufficient funds, or the deposit would exceed the maximum balance; nothing changed',
            'Insufficient funds: balance 50.00, requested 100.00'),
          404: NotFoundWallet,
          422: ValidationErrorBody,
          503: Overloaded503,
        },
      },
    }, async (request, reply) => {
      const outcome = await service.submitOperation({
        caller: callerOf(request),
        walletId: request.params.wallet_id,
        type: request.body.operation_type,
        amount: request.body.amount,
        idempotencyKey: request.headers['idempotency-key'],
      });
      return answer(request, reply, outcome);
    });

    app.post('/api/v1/wallets/:wallet_id/operations/:operation_id/reverse', {
      config: { auth: 'wallets:write' },
      schema: {
        tags: ['wallets'],
        summary: 'Reverse a deposit or withdrawal',
        description: 'A compensating entry through the engine, linked to the original both ways (reverses_id on the ' +
          'reversal, reversed_by on the original): a deposit is taken back (REVERSAL_OUT), a withdrawal given back ' +
          '(REVERSAL_IN). At most once: a second attempt is 409, a retry with the same Idempotency-Key replays. 400 ' +
          'when it would take the balance below zero (or past the maximum). Transfers: POST /api/v1/transfers/{id}/reverse.',
        params: OperationParams,
        headers: ReversalHeaders,
        response: {
          200: Operation,
          400: ErrorDetail('The reversal would take the balance below zero (or past the maximum balance); nothing changed',
            'Insufficient funds: balance 10.00, requested 100.00'),
          404: ErrorDetail('Wallet or operation not found', 'Operation not found'),
          409: ErrorDetail('Already reversed, or not reversible (a refusal, a reversal, a transfer leg)',
            'The operation was already reversed by 0b5f…; send the same Idempotency-Key to replay a reversal'),
          422: ValidationErrorBody,
          503: Unavailable,
        },
      },
    }, async (request, reply) => {
      const outcome = await service.reverseOperation({
        caller: callerOf(request), walletId: request.params.wallet_id, operationId: request.params.operation_id,
        idempotencyKey: request.headers['idempotency-key'],
      });
      return answer(request, reply, outcome);
    });

    app.get('/api/v1/wallets/:wallet_id/operations/:operation_id', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['wallets'],
        summary: 'Get one operation',
        description: 'The stored operation: use it to learn the final outcome of a PENDING answer. 404 means it was not applied.',
        params: OperationParams,
        response: {
          200: Operation,
          404: ErrorDetail('Wallet or operation not found', 'Operation not found'),
          422: ValidationErrorBody,
          503: Unavailable,
        },
      },
    }, async (request) => service.getOperation(callerOf(request), request.params.wallet_id, request.params.operation_id));
  };
}
