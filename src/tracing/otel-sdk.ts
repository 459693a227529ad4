/**
 * The OpenTelemetry SDK, set up from the standard variables (src/config/, "Tracing"): OTLP/HTTP
 * (protobuf, or JSON with OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json), batched export, the
 * OTEL_TRACES_SAMPLER sampler, W3C trace context. Imported only by loadTracing() when tracing is on.
 */
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/config.js';
import type { Tracing } from './tracing.js';

type Settings = Config['tracing'];

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces (the specification's rule). */
export function tracesUrl(settings: Settings): string {
  if (settings.tracesEndpoint !== '') return settings.tracesEndpoint;
  return `${settings.endpoint.replace(/\/+$/, '')}/v1/traces`;
}

export function samplerOf(settings: Settings): Sampler {
  const ratio = Number(settings.samplerArg);
  if (settings.sampler.endsWith('traceidratio') && !(ratio >= 0 && ratio <= 1)) {
    throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, not ${JSON.stringify(settings.samplerArg)}`);
  }
  const root = settings.sampler.endsWith('always_on') ? new AlwaysOnSampler()
    : settings.sampler.endsWith('always_off') ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(ratio);
  return settings.sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

const headerGetter: api.TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

export function startTracing(settings: Settings): Tracing {
  const url = tracesUrl(settings);
  const exporter = settings.protocol === 'http/json' ? new JsonExporter({ url }) : new ProtobufExporter({ url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    sampler: samplerOf(settings),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const contexts = new AsyncLocalStorageContextManager().enable();
  const propagator = new W3CTraceContextPropagator();
  return {
    tracer: provider.getTracer('wallet-service'),
    api: { trace: api.trace, SpanKind: api.SpanKind, SpanStatusCode: api.SpanStatusCode, ROOT_CONTEXT: api.ROOT_CONTEXT },
    active: () => contexts.active(),
    with: (context, fn) => contexts.with(context, fn),
    extract: (headers) => propagator.extract(api.ROOT_CONTEXT, headers, headerGetter),
    inject: (context, headers) => propagator.inject(context, headers, api.defaultTextMapSetter),
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      contexts.disable();
    },
  };
}
