/** HTTP only: parse, call the hold service, answer. No SQL and no business rules here. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { emptyBodyIsEmptyObject, wholeNumberField } from '../plugins/body-shapes.js';
import { callerOf } from '../auth/auth-plugin.js';
import type { HoldLimits, HoldService } from './hold-service.js';
import { answer } from '../plugins/submission-reply.js';
import { CaptureBody, Hold, HoldBody, HoldHeaders, HoldIdParams, HoldPage, HoldsQuerystring } from './hold-schemas.js';
import { ErrorDetail, NotFoundWallet, Overloaded503, Unavailable, ValidationErrorBody } from '../plugins/http-bodies.js';
import { WalletIdParams } from '../ledger/ledger-schemas.js';

const HoldNotFoundBody = ErrorDetail('Hold not found (or its wallet belongs to another tenant)', 'Hold not found');
const HoldClosedBody = ErrorDetail('The hold is no longer HELD (captured, voided, expired or refused); the detail names its state',
  'The hold is already CAPTURED at 2026-11-25T12:10:00.000Z; only a HELD hold can be captured or voided (status CAPTURED). ' +
  'Send the same Idempotency-Key to replay the request that closed it');

const integerExpiry = wholeNumberField('expires_in_seconds');

export function holdRoutes(service: HoldService, limits: HoldLimits): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/api/v1/wallets/:wallet_id/holds', {
      config: { auth: 'wallets:write' },
      preValidation: integerExpiry,
      schema: {
        tags: ['holds'],
        summary: 'Place a hold (reserve part of the available balance)',
        description: 'Through the engine, under the wallet\'s lock: judged against the available balance (balance minus ' +
          'active holds), which it then reduces; the balance itself does not change until a capture. The hold lapses after ' +
          `expires_in_seconds (default ${limits.expiresInSecondsDefault}, at most ${limits.expiresInSecondsMax}) and is then ` +
          'released. 200 with status HELD; FAILED when certainly not applied; PENDING when unknown (GET the hold). Send an ' +
          'Idempotency-Key to make retries safe.',
        params: WalletIdParams,
        headers: HoldHeaders,
        body: HoldBody(limits.expiresInSecondsDefault, limits.expiresInSecondsMax),
        response: {
          200: Hold,
          400: ErrorDetail('The available balance is short; nothing changed', 'Insufficient funds: available 20.00, requested 30.00'),
          404: NotFoundWallet,
          422: ValidationErrorBody,
          503: Overloaded503,
        },
      },
    }, async (request, reply) => answer(request, reply, await service.placeHold({
      caller: callerOf(request), walletId: request.params.wallet_id, amount: request.body.amount,
      expiresInSeconds: request.body.expires_in_seconds, idempotencyKey: request.headers['idempotency-key'],
    })));

    app.post('/api/v1/holds/:hold_id/capture', {
      config: { auth: 'wallets:write' },
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags: ['holds'],
        summary: 'Capture a hold (take all or part of it; the rest is released)',
        description: 'One transaction through the engine: a CAPTURE ledger row on the wallet (a debit whose id is the hold ' +
          'id) and the hold released. The body is optional: {"amount"} at most the held amount, default all of it. 409 when ' +
          'the hold is no longer HELD (captured, voided, expired), unless the same Idempotency-Key replays the request that ' +
          'closed it.',
        params: HoldIdParams,
        headers: HoldHeaders,
        body: CaptureBody,
        response: {
          200: Hold,
          400: ErrorDetail('The amount exceeds the held amount; nothing changed', 'Capture amount 40.00 exceeds the held amount 30.00'),
          404: HoldNotFoundBody,
          409: HoldClosedBody,
          422: ValidationErrorBody,
          503: Overloaded503,
        },
      },
    }, async (request, reply) => answer(request, reply, await service.captureHold({
      caller: callerOf(request), holdId: request.params.hold_id, amount: request.body.amount,
      idempotencyKey: request.headers['idempotency-key'],
    })));

    app.post('/api/v1/holds/:hold_id/void', {
      config: { auth: 'wallets:write' },
      schema: {
        tags: ['holds'],
        summary: 'Void a hold (release it all)',
        description: 'Through the engine: the hold becomes VOIDED and its amount available again. Takes no body. 409 when ' +
          'the hold is no longer HELD, unless the same Idempotency-Key replays the void that closed it.',
        params: HoldIdParams,
        headers: HoldHeaders,
        response: {
          200: Hold,
          404: HoldNotFoundBody,
          409: HoldClosedBody,
          422: ValidationErrorBody,
          503: Overloaded503,
        },
      },
    }, async (request, reply) => answer(request, reply, await service.voidHold({
      caller: callerOf(request), holdId: request.params.hold_id, idempotencyKey: request.headers['idempotency-key'],
    })));

    app.get('/api/v1/holds/:hold_id', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['holds'],
        summary: 'Get one hold',
        description: 'The stored hold: use it to learn the outcome of a PENDING answer. A HELD hold past its expiry is shown ' +
          'EXPIRED (it no longer reserves anything).',
        params: HoldIdParams,
        response: { 200: Hold, 404: HoldNotFoundBody, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => service.getHold(callerOf(request), request.params.hold_id));

    app.get('/api/v1/wallets/:wallet_id/holds', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['holds'],
        summary: "List a wallet's holds, newest first",
        description: 'Keyset pagination: follow next_cursor until it is null. status filters as GET /holds/{id} shows a hold ' +
          '(HELD: still reserving; EXPIRED includes a HELD hold past its expiry). Each hold as GET /holds/{id} shows it.',
        params: WalletIdParams,
        querystring: HoldsQuerystring,
        response: { 200: HoldPage, 404: NotFoundWallet, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => service.listHolds({ caller: callerOf(request), walletId: request.params.wallet_id,
      status: request.query.status, limit: request.query.limit, cursor: request.query.cursor }));
  };
}
