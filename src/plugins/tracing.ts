/**
 * A server span per request (tracing on only: registered when loadTracing gave a Tracing). Named
 * by method and route template (`POST /api/v1/wallets/{wallet_id}/operation`, never a raw path,
 * an id or a key), with the HTTP semantic-convention attributes and, for money movement, the
 * outcome the service decided (SUCCESS / FAILED / PENDING / REJECTED ...). An incoming W3C
 * `traceparent` is continued. The span's context is made active for the request's hooks and
 * handler, so the engine links its batch span to it and PostgreSQL spans become its children.
 */
import type { FastifyInstance } from 'fastify';
import type { Context, Span, Tracing } from '../tracing/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span (null when tracing is off). */
    traceSpan: Span | null;
    traceContext: Context | null;
  }
}

/** `/api/v1/wallets/:wallet_id` → `/api/v1/wallets/{wallet_id}`, as OpenAPI and docs write it. */
export function routeTemplate(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

export function registerTracing(app: FastifyInstance, tracing: Tracing): void {
  const { trace, SpanKind, SpanStatusCode } = tracing.api;
  const templates = new Map<string, string>();
  app.decorateRequest('traceSpan', null);
  app.decorateRequest('traceContext', null);

  // Callback-style hooks, as elsewhere on the request path (no promise per request).
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = tracing.extract(request.headers);
    const url = request.routeOptions.url;
    let route: string | undefined;
    if (url !== undefined) {
      route = templates.get(url);
      if (route === undefined) templates.set(url, route = routeTemplate(url));
    }
    const span = tracing.tracer.startSpan(route ? `${request.method} ${route}` : request.method, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        'url.scheme': request.protocol,
        'url.path': request.url.split('?', 1)[0]!,
        'client.address': request.ip,
        ...(route ? { 'http.route': route } : {}),
        ...(request.headers['user-agent'] ? { 'user_agent.original': request.headers['user-agent'] } : {}),
      },
    }, parent);
    const context = trace.setSpan(parent, span);
    request.traceSpan = span;
    request.traceContext = context;
    tracing.with(context, done);
  });
  // The body is parsed in the socket's own async context: make the span active again for the handler.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.traceContext) tracing.with(request.traceContext, done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = request.traceSpan;
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (request.requestOutcome) span.setAttribute('wallet_service.outcome', request.requestOutcome);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
