/** HTTP only: how every money-movement route answers a Submission (one place for the header and the outcome). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Submission } from '../ledger/submission.js';

export function answer<View>(request: FastifyRequest, reply: FastifyReply, submission: Submission<View>): View {
  request.requestOutcome = submission.outcome;
  if (submission.replayed) void reply.header('idempotency-replayed', 'true');
  if (submission.kind === 'refused') throw submission.error;
  return submission.view;
}
