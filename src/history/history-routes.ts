/** GET /api/v1/wallets/{wallet_id}/operations: HTTP only, the page comes from HistoryService. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callerOf } from '../auth/auth-plugin.js';
import { NotFoundWallet, Unavailable, ValidationErrorBody } from '../plugins/http-bodies.js';
import { WalletIdParams } from '../ledger/ledger-schemas.js';
import { HistoryPage, HistoryQuerystring } from './history-schemas.js';
import type { HistoryService } from './history-service.js';

export function historyRoutes(history: HistoryService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/api/v1/wallets/:wallet_id/operations', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['wallets'],
        summary: "List a wallet's operations, newest first",
        description: 'Keyset pagination on the ledger position (seq): follow next_cursor until it is null. Pages do ' +
          'not shift while new operations arrive. Filters: operation_type, created_from (inclusive), created_to ' +
          '(exclusive). REJECTED items are refusals kept for idempotent replay; they did not change the balance.',
        params: WalletIdParams,
        querystring: HistoryQuerystring,
        response: { 200: HistoryPage, 404: NotFoundWallet, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => history.listOperations({
      caller: callerOf(request),
      walletId: request.params.wallet_id,
      limit: request.query.limit,
      cursor: request.query.cursor,
      operationType: request.query.operation_type,
      createdFrom: request.query.created_from,
      createdTo: request.query.created_to,
    }));
  };
}
