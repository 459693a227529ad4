/**
 * GET /metrics (Prometheus text format) and the hooks that feed it: request durations by route
 * template, money-movement requests by the outcome the service decided (request.requestOutcome), and the
 * executor's retry/transaction/batch/lock-wait reports. Slow transactions are logged here too.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { shareRegistryWithPrimary } from '../metrics/cluster-metrics.js';
import { ServiceMetrics, type RequestKindLabel, type PoolLike } from '../metrics/service-metrics.js';
import type { ExecutorHooks } from '../ledger/command-executor.js';
import { OPERATION_TYPES, type RequestKind, type RequestOutcome } from '../ledger/names.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a money-movement route from the service's outcome; null when the request never reached it. */
    requestOutcome: RequestOutcome | null;
  }
}

export const OPERATION_ROUTE = '/api/v1/wallets/:wallet_id/operation';

/**
 * The money-movement routes (POST) whose requests are counted by outcome, and the kind each
 * counts as; the operation route's kind is its body's operation_type.
 */
const MOVEMENT_ROUTES: ReadonlyMap<string, RequestKind | 'BODY'> = new Map<string, RequestKind | 'BODY'>([
  [OPERATION_ROUTE, 'BODY'],
  ['/api/v1/transfers', 'TRANSFER'],
  ['/api/v1/transfers/:transfer_id/reverse', 'REVERSAL'],
  ['/api/v1/wallets/:wallet_id/operations/:operation_id/reverse', 'REVERSAL'],
  ['/api/v1/wallets/:wallet_id/holds', 'HOLD'],
  ['/api/v1/holds/:hold_id/capture', 'CAPTURE'],
  ['/api/v1/holds/:hold_id/void', 'VOID'],
]);

export interface MetricsPluginOptions {
  pool: PoolLike;
  poolSizeMax: number;
  /** Length of one dashboard bucket. */
  liveIntervalMs: number;
  liveHistoryLength: number;
  worker?: { id: number; count: number } | null;
}

/**
 * A money-movement request that never reached the service: refused by validation or the body
 * parser (INVALID), or failed unexpectedly (ERROR).
 */
function outcomeWithoutService(statusCode: number): RequestOutcome {
  if (statusCode === 503) return 'UNAVAILABLE';
  return statusCode >= 500 ? 'ERROR' : 'INVALID';
}

const operationTypes = new Set<string>(OPERATION_TYPES);

function requestKind(request: FastifyRequest, kind: RequestKind | 'BODY'): RequestKindLabel {
  if (kind !== 'BODY') return kind;
  const type = (request.body as { operation_type?: unknown } | undefined)?.operation_type;
  return typeof type === 'string' && operationTypes.has(type) ? type as RequestKindLabel : 'UNKNOWN';
}

/** The wallet a request acts on, when its path or body names it (a transfer: its source). */
function walletOf(request: FastifyRequest): string | undefined {
  const fromPath = (request.params as { wallet_id?: unknown } | undefined)?.wallet_id;
  if (typeof fromPath === 'string') return fromPath;
  const fromBody = (request.body as { from_wallet_id?: unknown } | undefined)?.from_wallet_id;
  return typeof fromBody === 'string' ? fromBody : undefined;
}

export interface RegisteredMetrics {
  metrics: ServiceMetrics;
  executorHooks(log: FastifyBaseLogger, slowTransactionMs: number): Required<ExecutorHooks>;
}

export function registerMetrics(app: FastifyInstance, options: MetricsPluginOptions): RegisteredMetrics {
  const metrics = new ServiceMetrics(options);
  shareRegistryWithPrimary(metrics.registry); // no-op unless this is a cluster worker

  app.decorateRequest('requestOutcome', null);

  // Callback style: an async hook would cost every request a promise (issue 12's profile).
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    let outcome: RequestOutcome | undefined;
    const kind = request.method === 'POST' ? MOVEMENT_ROUTES.get(route) : undefined;
    if (kind !== undefined) {
      outcome = request.requestOutcome ?? outcomeWithoutService(reply.statusCode);
      const walletId = outcome === 'NOT_FOUND' || outcome === 'INVALID' ? undefined : walletOf(request);
      metrics.observeRequestOutcome(requestKind(request, kind), outcome, reply.getHeader('idempotency-replayed') === 'true', walletId);
    }
    // A business refusal (insufficient funds) is an answer, not an API error.
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime, route.startsWith('/api/'), outcome === 'REJECTED');
    done();
  });

  app.addHook('onClose', async () => metrics.stop());

  app.get('/metrics', {
    config: { auth: 'operator' }, // lists every tenant's wallet ids (busiest wallets): the operator's view only
    schema: {
      tags: ['service'],
      summary: 'Prometheus metrics',
      description: 'Prometheus text format: request durations, operation outcomes, transaction durations, ' +
        'retries by SQLSTATE, lock waits, pool gauges, group-commit batch sizes and the default process metrics.',
    },
  }, async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return {
    metrics,
    executorHooks(log, slowTransactionMs) {
      return {
        onRetry: (code) => metrics.observeRetry(code),
        onTransaction: (durationMs, ok, context) => {
          metrics.observeTransaction(durationMs, ok);
          if (durationMs > slowTransactionMs) {
            metrics.observeSlowTransaction();
            log.warn({ ...context, durationMs: Math.round(durationMs * 100) / 100, committed: ok, slowTransactionMs },
              'slow transaction');
          }
        },
        onBatch: (size) => metrics.observeBatch(size),
        onLockWait: (durationMs) => metrics.observeLockWait(durationMs),
      };
    },
  };
}
