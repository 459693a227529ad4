/**
 * One span per engine batch (src/ledger/command-batcher.ts), linked to the request span of every
 * command it carried (span links: one batch serves many traces), with the batch size. The batch
 * span starts a trace of its own; the PostgreSQL spans of its transaction are its children.
 */
import type { Link } from '@opentelemetry/api';
import type { SpanContext, Tracing } from './tracing.js';

/** What the batcher calls: capture() when a command is queued, run() around the batch's execution. */
export interface BatchTrace {
  /** The span context of the request queueing a command (undefined outside a traced request). */
  capture(): SpanContext | undefined;
  run<T>(links: readonly (SpanContext | undefined)[], size: number, execute: () => Promise<T>): Promise<T>;
}

export function batchTrace(tracing: Tracing): BatchTrace {
  const { trace, SpanStatusCode, ROOT_CONTEXT } = tracing.api;
  return {
    capture: () => trace.getSpanContext(tracing.active()),
    async run(links, size, execute) {
      const spanLinks: Link[] = [];
      for (const context of links) if (context) spanLinks.push({ context });
      const span = tracing.tracer.startSpan('ledger batch', { links: spanLinks, attributes: { 'ledger.batch.size': size } }, ROOT_CONTEXT);
      try {
        return await tracing.with(trace.setSpan(ROOT_CONTEXT, span), execute);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        throw error;
      } finally {
        span.end();
      }
    },
  };
}
export type { SpanContext } from './tracing.js';
