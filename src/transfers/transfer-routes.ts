/** HTTP only: parse, call the transfer service, answer. No SQL and no business rules here. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { answer } from '../plugins/submission-reply.js';
import { callerOf } from '../auth/auth-plugin.js';
import type { TransferService } from './transfer-service.js';
import { ErrorDetail, Overloaded503, Unavailable, ValidationErrorBody } from '../plugins/http-bodies.js';
import { ReversalHeaders } from '../ledger/ledger-schemas.js';
import { Transfer, TransferBody, TransferHeaders, TransferIdParams } from './transfer-schemas.js';

const AlreadyReversedBody = ErrorDetail('Already reversed (at most one reversal per original), or not reversible',
  'The transfer was already reversed by 0b5f…; send the same Idempotency-Key to replay a reversal');

export function transferRoutes(service: TransferService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/api/v1/transfers', {
      config: { auth: 'wallets:write' },
      schema: {
        tags: ['transfers'],
        summary: 'Move money from one wallet to another',
        description: 'One transaction: both wallets locked (in id order), a TRANSFER_OUT leg on the source and a ' +
          'TRANSFER_IN leg on the target (both with the transfer id and the counterparty), both balances updated, one ' +
          'commit. Both wallets must belong to the caller\'s tenant. 200 with SUCCESS when applied; FAILED when ' +
          'certainly not applied; PENDING when the outcome could not be confirmed (GET the transfer to learn it). ' +
          'Send an Idempotency-Key (scoped to the source wallet) to make retries safe.',
        headers: TransferHeaders,
        body: TransferBody,
        response: {
          200: Transfer,
          400: ErrorDetail('Insufficient funds on the source, or the target would exceed the maximum balance; nothing changed',
            'Insufficient funds: balance 10.00, requested 25.00'),
          404: ErrorDetail('Either wallet does not exist (or belongs to another tenant)', 'Wallet not found'),
          422: ValidationErrorBody,
          503: Overloaded503,
        },
      },
    }, async (request, reply) => {
      const outcome = await service.submitTransfer({
        caller: callerOf(request),
        fromWalletId: request.body.from_wallet_id,
        toWalletId: request.body.to_wallet_id,
        amount: request.body.amount,
        idempotencyKey: request.headers['idempotency-key'],
      });
      return answer(request, reply, outcome);
    });

    app.post('/api/v1/transfers/:transfer_id/reverse', {
      config: { auth: 'wallets:write' },
      schema: {
        tags: ['transfers'],
        summary: 'Reverse a transfer (pay it back from its target to its source)',
        description: 'One transaction through the engine: a REVERSAL_OUT on the target and a REVERSAL_IN on the source, ' +
          'both linked to the transfer (reverses_id) and naming each other. At most once per transfer: a second attempt ' +
          'is 409, a retry with the same Idempotency-Key replays. 400 when the target cannot pay it back. The answer is ' +
          'the transfer back: from = the original target, to = the original source.',
        params: TransferIdParams,
        headers: ReversalHeaders,
        response: {
          200: Transfer,
          400: ErrorDetail('The target cannot pay the amount back; nothing changed', 'Insufficient funds: the target wallet cannot pay back 25.00'),
          404: ErrorDetail('Transfer not found (or its wallets belong to another tenant)', 'Transfer not found'),
          409: AlreadyReversedBody,
          422: ValidationErrorBody,
          503: Unavailable,
        },
      },
    }, async (request, reply) => {
      const outcome = await service.reverseTransfer({
        caller: callerOf(request), transferId: request.params.transfer_id, idempotencyKey: request.headers['idempotency-key'],
      });
      return answer(request, reply, outcome);
    });

    app.get('/api/v1/transfers/:transfer_id', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['transfers'],
        summary: 'Get one transfer',
        description: 'The stored transfer: use it to learn the final outcome of a PENDING answer. 404 means it was not applied.',
        params: TransferIdParams,
        response: {
          200: Transfer,
          404: ErrorDetail('Transfer not found (or its wallets belong to another tenant)', 'Transfer not found'),
          422: ValidationErrorBody,
          503: Unavailable,
        },
      },
    }, async (request) => service.getTransfer(callerOf(request), request.params.transfer_id));
  };
}
