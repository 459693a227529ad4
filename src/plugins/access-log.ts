/**
 * Fastify's per-request log lines, narrowed to one: Fastify writes two per request ("incoming
 * request" and "request completed"); this writes one `request` line when the answer is sent, with
 * the method, URL, status, time and, for money movement, the outcome decided by the service
 * (request.requestOutcome), and with tracing on the trace id (src/plugins/tracing.ts). Errors are logged as Fastify logs them. The object is built only when
 * info is enabled: a per-request cost (issue 12's profile).
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { logs } from '../lib/logger.js';

export class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    if (!logs(request.log, 'info')) return;
    request.log.info({
      method: request.method, url: request.url, statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      ...(request.requestOutcome ? { outcome: request.requestOutcome } : {}),
      ...(request.traceSpan ? { traceId: request.traceSpan.spanContext().traceId } : {}),
    }, 'request');
  }
}
