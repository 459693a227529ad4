/** HTTP only: parse, call the service, answer. No SQL and no business rules here. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callerOf } from '../auth/auth-plugin.js';
import { WalletIdParams } from '../ledger/ledger-schemas.js';
import { emptyBodyIsEmptyObject, wholeNumberField } from '../plugins/body-shapes.js';
import { ErrorDetail, NotFoundWallet, Unavailable, ValidationErrorBody } from '../plugins/http-bodies.js';
import type { WalletService } from './wallet-service.js';
import {
  Asset, AssetBody, AssetList, CreateWalletBody, PatchWalletBody, Wallet, WalletPage, WalletsQuerystring,
} from './wallet-schemas.js';

const ExternalIdConflict = ErrorDetail('A wallet of the tenant already has this external_id; the detail names it',
  'A wallet with this external_id already exists: 3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b');
const StatusConflict = ErrorDetail('CLOSED asked of a wallet with money or an active hold, or of a closed wallet another status',
  'A wallet is closed only with balance 0 and no active hold (balance 10.00, held 0.00)');
const AssetConflict = ErrorDetail('The code is an ISO 4217 currency, or an asset with another scale',
  'Asset POINTS exists with scale 0; an asset\'s scale never changes');

export function walletRoutes(service: WalletService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/api/v1/wallets', {
      config: { auth: 'wallets:write' },
      // The body is optional (the original contract takes none): no body is {}.
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags: ['wallets'],
        summary: 'Create a wallet',
        description: 'Creates a wallet with balance 0. The body is optional (no body or {}: the default currency, USD unless ' +
          'DEFAULT_CURRENCY says otherwise, two decimals, min_balance 0). Also served at /api/v1/wallets/.',
        body: CreateWalletBody,
        response: { 200: Wallet, 409: ExternalIdConflict, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => service.createWallet(callerOf(request), request.body));

    app.get('/api/v1/wallets', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['wallets'],
        summary: 'List the tenant\'s wallets, newest first',
        description: 'Keyset pages (limit, cursor), filtered by currency, status, external_id, created_after, created_before and ' +
          'metadata[key]=value (exact match; several are ANDed), e.g. `?metadata[user_id]=42&status=ACTIVE`. Another ' +
          'tenant\'s wallets never appear.',
        querystring: WalletsQuerystring,
        response: { 200: WalletPage, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => service.listWallets(callerOf(request), request.query as WalletsQuerystring));

    app.get('/api/v1/wallets/:wallet_id', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['wallets'],
        summary: 'Get a wallet and its balance',
        params: WalletIdParams,
        response: { 200: Wallet, 404: NotFoundWallet, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => service.getWallet(callerOf(request), request.params.wallet_id));

    app.patch('/api/v1/wallets/:wallet_id', {
      config: { auth: 'wallets:write' },
      schema: {
        tags: ['wallets'],
        summary: 'Change a wallet\'s metadata, limits or status',
        description: 'metadata is merged (a key set to "" or null is removed); min_balance and max_balance apply to movements ' +
          'after the change and never rewrite history (a min_balance above the available balance is allowed and blocks ' +
          'further debits); status ACTIVE / FROZEN / CLOSED (CLOSED only with balance 0 and no active hold, and for good: 409). ' +
          'Each change is recorded with its key and sent as a wallet.updated event.',
        params: WalletIdParams,
        body: PatchWalletBody,
        response: { 200: Wallet, 404: NotFoundWallet, 409: StatusConflict, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => service.patchWallet(callerOf(request), request.params.wallet_id, request.body));

    app.post('/api/v1/assets', {
      config: { auth: 'admin' },
      preValidation: wholeNumberField('scale'),
      schema: {
        tags: ['wallets'],
        summary: 'Define an asset of the tenant',
        description: 'A currency of your own (points, a token) with its scale (0-18 decimals), for wallets created with ' +
          '`currency` set to its code. The scale never changes; defining the same code with the same scale again answers ' +
          'the stored asset.',
        body: AssetBody,
        response: { 200: Asset, 409: AssetConflict, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => service.createAsset(callerOf(request), request.body));

    app.get('/api/v1/assets', {
      config: { auth: 'admin' },
      schema: {
        tags: ['wallets'],
        summary: 'List the tenant\'s assets',
        response: { 200: AssetList, 503: Unavailable },
      },
    }, async (request) => service.listAssets(callerOf(request)));
  };
}
