/**
 * The Prometheus metrics of one app instance, on its own registry (tests build many apps in one
 * process; a global registry would mix them). Every label value comes from a closed set: route
 * templates (never raw paths), HTTP methods, status codes, operation types and outcomes, and
 * SQLSTATE/Node error codes, so the number of series stays bounded whatever clients send.
 */
import client from 'prom-client';
import { REQUEST_OUTCOMES, type RequestKind, type RequestOutcome } from '../ledger/names.js';
import { LiveStats, type PoolSnapshot } from './live-stats.js';

export interface PoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface ServiceMetricsOptions {
  pool: PoolLike;
  poolSizeMax: number;
  liveIntervalMs: number;
  liveHistoryLength: number;
  /** Under WEB_CONCURRENCY: this worker's id and the worker count (shown on /dashboard). */
  worker?: { id: number; count: number } | null;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const SQLSTATE_OR_CODE = /^([0-9A-Z]{5}|E[A-Z_]{2,20}|connection|unknown)$/;

export type RequestKindLabel = RequestKind | 'UNKNOWN';

export class ServiceMetrics {
  readonly registry = new client.Registry();
  readonly live: LiveStats;
  private readonly httpDuration: client.Histogram<'method' | 'route' | 'status_code'>;
  private readonly operations: client.Counter<'type' | 'outcome' | 'replayed'>;
  private readonly transactionDuration: client.Histogram<'outcome'>;
  private readonly retries: client.Counter<'sqlstate'>;
  private readonly lockWait: client.Histogram;
  private readonly batchSize: client.Histogram;
  private readonly slowTransactions: client.Counter;

  constructor(private readonly options: ServiceMetricsOptions) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template, method and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.operations = new client.Counter({
      name: 'wallet_operations_total',
      help: `Money-movement requests (DEPOSIT, WITHDRAW, TRANSFER, REVERSAL, HOLD, CAPTURE, VOID) by type and outcome (${REQUEST_OUTCOMES.join(', ')}; REJECTED: refused by a ` +
        'business rule such as insufficient funds, INVALID: malformed request); replayed=true for idempotent replays',
      labelNames: ['type', 'outcome', 'replayed'],
      registers,
    });
    this.transactionDuration = new client.Histogram({
      name: 'db_transaction_duration_seconds',
      help: 'Duration of the engine batch transactions (BEGIN to COMMIT/ROLLBACK), per attempt',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.retries = new client.Counter({
      name: 'db_retries_total',
      help: 'Transient database faults that were retried, by SQLSTATE (or Node error code)',
      labelNames: ['sqlstate'],
      registers,
    });
    this.lockWait = new client.Histogram({
      name: 'db_lock_wait_seconds',
      help: 'Time spent waiting for wallet row locks, as reported by the command executor',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.batchSize = new client.Histogram({
      name: 'wallet_group_commit_batch_size',
      help: 'Commands per group-commit transaction, as reported by the command executor',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    this.slowTransactions = new client.Counter({
      name: 'db_slow_transactions_total',
      help: 'Transactions slower than SLOW_TRANSACTION_MS',
      registers,
    });
    const pool = options.pool;
    new client.Gauge({
      name: 'db_pool_connections', help: 'Connections held by the application pool (busy + idle)', registers,
      collect() { this.set(pool.totalCount); },
    });
    new client.Gauge({
      name: 'db_pool_connections_idle', help: 'Idle connections in the application pool', registers,
      collect() { this.set(pool.idleCount); },
    });
    new client.Gauge({
      name: 'db_pool_clients_waiting', help: 'Queries/transactions waiting for a pool connection', registers,
      collect() { this.set(pool.waitingCount); },
    });
    new client.Gauge({
      name: 'db_pool_connections_max', help: 'Configured pool size (DB_POOL_SIZE_MAX)', registers,
      collect() { this.set(options.poolSizeMax); },
    });
    this.live = new LiveStats({
      intervalMs: options.liveIntervalMs,
      historyLength: options.liveHistoryLength,
      latencySamplesMax: 20_000,
      walletsTrackedMax: 10_000,
      busiestWindowBuckets: Math.max(1, Math.round(60_000 / options.liveIntervalMs)),
      busiestListed: 10,
      readPool: () => this.poolSnapshot(),
      worker: options.worker ?? null,
    });
  }

  poolSnapshot(): PoolSnapshot {
    const p = this.options.pool;
    return { total: p.totalCount, idle: p.idleCount, waiting: p.waitingCount };
  }

  /** `route` must be a route template (or 'unmatched'), never a raw URL. */
  observeRequest(method: string, route: string, statusCode: number, durationMs: number, isApi: boolean, refusal = false): void {
    const m = KNOWN_METHODS.has(method) ? method : 'OTHER';
    this.httpDuration.observe({ method: m, route, status_code: String(statusCode) }, durationMs / 1000);
    if (isApi) this.live.recordRequest(durationMs, statusCode, refusal);
  }

  observeRequestOutcome(type: RequestKindLabel, outcome: RequestOutcome, replayed: boolean, walletId: string | undefined): void {
    this.operations.inc({ type, outcome, replayed: replayed ? 'true' : 'false' });
    this.live.recordRequestOutcome(outcome, walletId);
  }

  observeTransaction(durationMs: number, ok: boolean): void {
    this.transactionDuration.observe({ outcome: ok ? 'commit' : 'rollback' }, durationMs / 1000);
    this.live.recordTransaction();
  }

  observeSlowTransaction(): void {
    this.slowTransactions.inc();
  }

  observeRetry(code: string): void {
    this.retries.inc({ sqlstate: SQLSTATE_OR_CODE.test(code) ? code : 'other' });
    this.live.recordRetry();
  }

  observeLockWait(durationMs: number): void {
    this.lockWait.observe(durationMs / 1000);
  }

  observeBatch(size: number): void {
    this.batchSize.observe(size);
    this.live.recordBatch(size);
  }

  stop(): void {
    this.live.stop();
  }
}
