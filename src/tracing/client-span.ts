/** A client span around an outgoing HTTP request, whose context travels in the request's `traceparent`. */
import type { Tracing } from './tracing.js';

export async function withClientSpan<T extends { status: number | null; error: string | null }>(tracing: Tracing, name: string,
  attributes: Record<string, string>, send: (headers: Record<string, string>) => Promise<T>): Promise<T> {
  const { trace, SpanKind, SpanStatusCode } = tracing.api;
  const parent = tracing.active();
  const span = tracing.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  const headers: Record<string, string> = {};
  tracing.inject(trace.setSpan(parent, span), headers);
  try {
    const outcome = await send(headers);
    if (outcome.status !== null) span.setAttribute('http.response.status_code', outcome.status);
    if (outcome.error !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
    return outcome;
  } finally {
    span.end();
  }
}
