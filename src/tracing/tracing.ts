/**
 * Tracing, off unless an OTLP endpoint is configured: loadTracing() then imports the OpenTelemetry
 * SDK (otel-sdk.ts, the only module that loads it) and returns a `Tracing`; otherwise null, and no
 * OpenTelemetry code is loaded at all. Everything else takes a `Tracing | null` and imports
 * OpenTelemetry's types only (erased at compile time). No global is registered: the tracer, the
 * context manager and the propagator are this object's own, so two apps in one process (tests)
 * never share one.
 */
import type { Context, Span, SpanContext, Tracer } from '@opentelemetry/api';
import type { Config } from '../config/config.js';

export interface Tracing {
  readonly tracer: Tracer;
  /** @opentelemetry/api's context-free helpers: trace.setSpan/getSpan, SpanKind, SpanStatusCode, ROOT_CONTEXT. */
  readonly api: Pick<typeof import('@opentelemetry/api'), 'trace' | 'SpanKind' | 'SpanStatusCode' | 'ROOT_CONTEXT'>;
  /** The context of the running code (AsyncLocalStorage). */
  active(): Context;
  /** Runs `fn` with `context` active (and whatever it starts asynchronously). */
  with<T>(context: Context, fn: () => T): T;
  /** The context an incoming W3C `traceparent`/`tracestate` names (ROOT_CONTEXT when none). */
  extract(headers: Record<string, string | string[] | undefined>): Context;
  /** Writes `traceparent` (and `tracestate`) for `context` into `headers`. */
  inject(context: Context, headers: Record<string, string>): void;
  /** Sends the spans buffered so far. */
  flush(): Promise<void>;
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

export type { Context, Span, SpanContext };

/** Whether `settings` turn tracing on (an OTLP endpoint is set). */
export function tracingEnabled(settings: Config['tracing']): boolean {
  return settings.endpoint !== '' || settings.tracesEndpoint !== '';
}

/** The Tracing the settings ask for, or null (and nothing loaded) when tracing is off. */
export async function loadTracing(settings: Config['tracing']): Promise<Tracing | null> {
  if (!tracingEnabled(settings)) return null;
  const { startTracing } = await import('./otel-sdk.js');
  return startTracing(settings);
}
