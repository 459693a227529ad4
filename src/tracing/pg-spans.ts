/**
 * A client span per PostgreSQL query, for queries made inside a traced request or batch (a query
 * with no active span, such as the webhook dispatcher's polling, starts no trace). Each pool
 * client's query() is wrapped when the pool connects it. The text of a parameterized query (Kysely's)
 * is recorded; a script with its values inlined (the engine's batch) is named by its first word only,
 * so no amount or id reaches the spans.
 */
import type pg from 'pg';
import type { Tracing } from './tracing.js';

const queryTextMax = 2000;

export function tracePool(pool: pg.Pool, tracing: Tracing): void {
  pool.on('connect', (client) => traceClient(client, tracing, (client as { database?: string }).database));
}

function traceClient(client: pg.PoolClient, tracing: Tracing, database: string | undefined): void {
  const { trace, SpanKind, SpanStatusCode } = tracing.api;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const parent = tracing.active();
    const [first, values] = args;
    // Only the promise forms (text[, values]) and ({ text, values }); callbacks and submittables pass through.
    if (!trace.getSpan(parent) || typeof args[args.length - 1] === 'function'
      || (typeof first === 'object' && first !== null && typeof (first as { submit?: unknown }).submit === 'function')) {
      return query(...args);
    }
    const text = typeof first === 'string' ? first : String((first as { text?: unknown })?.text ?? '');
    const parameterized = values !== undefined || (typeof first === 'object' && (first as { values?: unknown })?.values !== undefined);
    const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
    const span = tracing.tracer.startSpan(`${operation}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql', 'db.operation.name': operation,
        ...(database ? { 'db.namespace': database } : {}),
        ...(parameterized ? { 'db.query.text': text.slice(0, queryTextMax) } : {}),
      },
    }, parent);
    return (query(...args) as Promise<unknown>).then((result) => {
      span.end();
      return result;
    }, (error: Error & { code?: string }) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      if (error.code) span.setAttribute('db.response.status_code', error.code);
      span.end();
      throw error;
    });
  };
}
