/** HTTP only: parse, call the service, answer. No SQL and no business rules here. */
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { WalletService } from './wallet-service.js';
import {
  ErrorDetail, Operation, OperationBody, type OperationBodyValue, OperationHeaders, OperationParams,
  ValidationErrorBody, Wallet, WalletIdParams,
} from './wallet-schemas.js';

const notFoundWallet = ErrorDetail('Wallet not found', 'Wallet not found');
const unavailable = ErrorDetail('Database unavailable (retry after the Retry-After seconds)', 'Database unavailable, please retry later');

export function registerWalletRoutes(app: FastifyInstance, service: WalletService): void {
  app.post('/api/v1/wallets', {
    schema: {
      tags: ['wallets'],
      summary: 'Create a wallet',
      description: 'Creates a wallet with balance 0.00. Also served at /api/v1/wallets/.',
      response: { 200: Wallet, 503: unavailable },
    },
  }, async () => service.createWallet());

  app.get<{ Params: Static<typeof WalletIdParams> }>('/api/v1/wallets/:wallet_id', {
    schema: {
      tags: ['wallets'],
      summary: 'Get a wallet and its balance',
      params: WalletIdParams,
      response: { 200: Wallet, 404: notFoundWallet, 422: ValidationErrorBody, 503: unavailable },
    },
  }, async (request) => service.getWallet(request.params.wallet_id));

  app.post<{ Params: Static<typeof WalletIdParams>; Headers: Static<typeof OperationHeaders>; Body: OperationBodyValue }>(
    '/api/v1/wallets/:wallet_id/operation', {
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
          404: notFoundWallet,
          422: ValidationErrorBody,
          503: ErrorDetail('Overloaded: too many queued operations (retry after Retry-After seconds)', 'Service overloaded, please retry later'),
        },
      },
    }, async (request, reply) => {
      const outcome = await service.submitOperation({
        walletId: request.params.wallet_id,
        type: request.body.operation_type,
        amount: request.body.amount,
        idempotencyKey: request.headers['idempotency-key'],
      });
      if (outcome.replayed) void reply.header('idempotency-replayed', 'true');
      if (outcome.kind === 'refused') throw outcome.error;
      return outcome.view;
    });

  app.get<{ Params: Static<typeof OperationParams> }>('/api/v1/wallets/:wallet_id/operations/:operation_id', {
    schema: {
      tags: ['wallets'],
      summary: 'Get one operation',
      description: 'The stored operation: use it to learn the final outcome of a PENDING answer. 404 means it was not applied.',
      params: OperationParams,
      response: {
        200: Operation,
        404: ErrorDetail('Wallet or operation not found', 'Operation not found'),
        422: ValidationErrorBody,
        503: unavailable,
      },
    },
  }, async (request) => service.getOperation(request.params.wallet_id, request.params.operation_id));
}
