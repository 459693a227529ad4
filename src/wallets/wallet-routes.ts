/** HTTP only: parse, call the service, answer. No SQL and no business rules here. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callerOf } from '../auth/auth-plugin.js';
import { WalletIdParams } from '../ledger/ledger-schemas.js';
import { NotFoundWallet, Unavailable, ValidationErrorBody } from '../plugins/http-bodies.js';
import type { WalletService } from './wallet-service.js';
import { Wallet } from './wallet-schemas.js';

export function walletRoutes(service: WalletService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/api/v1/wallets', {
      config: { auth: 'wallets:write' },
      schema: {
        tags: ['wallets'],
        summary: 'Create a wallet',
        description: 'Creates a wallet with balance 0.00. Takes no body (an empty body or {} is fine). ' +
          'Also served at /api/v1/wallets/.',
        response: { 200: Wallet, 503: Unavailable },
      },
    }, async (request) => service.createWallet(callerOf(request)));

    app.get('/api/v1/wallets/:wallet_id', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['wallets'],
        summary: 'Get a wallet and its balance',
        params: WalletIdParams,
        response: { 200: Wallet, 404: NotFoundWallet, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => service.getWallet(callerOf(request), request.params.wallet_id));
  };
}
