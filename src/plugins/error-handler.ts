/**
 * The one place where errors become HTTP. Domain errors carry a code, mapped to a status here
 * and nowhere else; validation problems become FastAPI-shaped 422s; client mistakes caught by
 * Fastify keep their 4xx with a plain `detail`; anything else is logged with the request id and
 * answered without internals.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { AuthError, type AuthErrorCode, RateLimited, Unauthenticated } from '../auth/auth-errors.js';
import { DomainError, type DomainErrorCode, InvalidInput } from '../ledger/errors.js';
import { toInputProblems } from './validation.js';

/** Seconds a client should wait before retrying after a 503. */
const retryAfterSeconds = 1;

const STATUS: Record<DomainErrorCode, number> = {
  wallet_not_found: 404,
  operation_not_found: 404,
  transfer_not_found: 404,
  insufficient_funds: 400,
  balance_limit_exceeded: 400,
  idempotency_conflict: 422,
  invalid_input: 422,
  database_unavailable: 503,
  overloaded: 503,
  already_reversed: 409,
  not_reversible: 409,
  hold_not_found: 404,
  hold_closed: 409,
  capture_exceeds_hold: 400,
  webhook_not_found: 404,
  wallet_quota_reached: 403,
  wallet_not_active: 400,
  currency_mismatch: 422,
  external_id_taken: 409,
  wallet_status_conflict: 409,
  asset_conflict: 409,
};

const AUTH_STATUS: Record<AuthErrorCode, number> = {
  unauthenticated: 401,
  forbidden: 403,
  rate_limited: 429,
};

/** Fastify's own client-error messages are safe to show; these are reworded for clarity. */
const clientMessages: Record<string, string> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty; send a JSON object',
  FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON in request body',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type; send application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Request body size did not match Content-Length',
};

export function registerErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ detail: 'Not Found' });
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof InvalidInput) return reply.code(422).send({ detail: error.problems });
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const problems = toInputProblems(fastifyError.validation as never, fastifyError.validationContext ?? 'body');
      return reply.code(422).send({ detail: problems });
    }
    if (error instanceof AuthError) {
      if (error instanceof Unauthenticated) {
        // RFC 6750 §3: error="invalid_token" only when a token was presented.
        void reply.header('www-authenticate', error.presented
          ? 'Bearer realm="wallet-service", error="invalid_token"' : 'Bearer realm="wallet-service"');
      }
      if (error instanceof RateLimited) void reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(AUTH_STATUS[error.code]).send({ detail: error.message });
    }
    if (error instanceof DomainError) {
      const status = STATUS[error.code];
      if (status === 503) void reply.header('retry-after', String(retryAfterSeconds));
      return reply.code(status).send({ detail: error.message });
    }
    const status = fastifyError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      request.log.info({ code: fastifyError.code, status }, 'client error');
      const detail = (fastifyError.code && clientMessages[fastifyError.code]) ?? safeClientMessage(error.message);
      return reply.code(status).send({ detail });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: `Internal Server Error (request id ${request.id})` });
  });
}

/** Keeps a client-error message short and free of anything that looks like a path or stack. */
function safeClientMessage(message: string): string {
  const firstLine = message.split('\n')[0] ?? 'Bad Request';
  return firstLine.length > 200 ? `${firstLine.slice(0, 200)}...` : firstLine || 'Bad Request';
}
