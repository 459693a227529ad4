/**
 * All settings, read from the environment once at start-up and validated together, so a bad
 * deployment fails fast with every problem listed instead of one at a time.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the API listens unless HOST says otherwise: this machine only. The image sets 0.0.0.0. */
export const HOST_DEFAULT = 'localhost';

export interface Config {
  /** Listening address. */
  host: string;
  port: number;
  /** PostgreSQL URL for the app (may point at PgBouncer). Empty: start the embedded PostgreSQL. */
  databaseUrl: string | undefined;
  /** PostgreSQL URL for Liquibase; must reach PostgreSQL directly, never PgBouncer. */
  migrationDatabaseUrl: string | undefined;
  /** Run the Liquibase changelog at start-up. */
  migrateOnStart: boolean;
  /** Where the embedded PostgreSQL keeps its cluster. */
  embeddedDataDir: string;
  embeddedPort: number;
  /** Application pool: small on purpose (PgBouncer multiplexes; the row lock serializes anyway). */
  poolSizeMax: number;
  poolConnectTimeoutMs: number;
  poolIdleTimeoutMs: number;
  /** Per-transaction limits, applied with SET LOCAL. */
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** Retry policy for transient database faults. */
  retryAttemptsMax: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Total time an operation may spend across all attempts before answering FAILED/PENDING. */
  operationBudgetMs: number;
  /** Total time a read or wallet creation may spend before answering 503. */
  readBudgetMs: number;
  /** Transactions slower than this are logged as a warning. */
  slowTransactionMs: number;
  /** /ready gives up on the database after this long and answers 503. */
  readyTimeoutMs: number;
  /** After SIGTERM, in-flight requests get this long before their connections are closed. */
  shutdownGraceMs: number;
  /** One bucket of the /dashboard charts; the page keeps dashboardHistoryLength of them. */
  dashboardIntervalMs: number;
  dashboardHistoryLength: number;
  /** Under WEB_CONCURRENCY (node:cluster) the primary serves the workers' summed /metrics here; 0: off. */
  clusterMetricsPort: number;
  /**
   * Where that management listener binds. It has no API keys (its /metrics names wallet ids), so
   * 127.0.0.1 by default; Compose sets 0.0.0.0 and only `expose`s the port to its own network.
   */
  clusterMetricsHost: string;
  logLevel: string;
  bodyLimitBytes: number;
  /** App processes behind one port (src/cluster.ts: `npm run stack`, the container); `npm start` runs one. */
  webConcurrency: number;
  /** HTTP limits against slow or oversized clients (Node's http server options); see README "Limits". */
  http: {
    /** Total size of the request line and headers; beyond it 431. */
    maxHeaderSizeBytes: number;
    /** The request line and headers must arrive within this (slowloris); then 408 and close. */
    headersTimeoutMs: number;
    /** The whole request (headers and body) must arrive within this; then 408 and close. */
    requestTimeoutMs: number;
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs: number;
    /** A socket with no activity at all for this long is destroyed. */
    socketTimeoutMs: number;
    /** How often Node checks the headers/request timeouts above. */
    timeoutCheckIntervalMs: number;
  };
  /** Balance reads coalesced into one query per batch (src/wallets/wallet-reader.ts); 0 in flight: off. */
  readCoalescing: {
    batchSizeMax: number;
    batchesInFlightMax: number;
    /** Reads waiting for a batch, in all; beyond it a read is answered 503 instead of growing memory. */
    waitersMax: number;
  };
  /**
   * Which proxies to trust for the client address (X-Forwarded-For): false, true, a hop count, or
   * comma-separated addresses/CIDRs (Fastify's trustProxy). Behind HAProxy: its network.
   */
  trustProxy: boolean | number | string;
  /** Access control (docs/access-control.md). */
  auth: {
    /** false: no keys; every request acts as tenant `default` with wallets:read and wallets:write. */
    required: boolean;
    /** Where the first `npm start` on a fresh embedded database saves the key it creates (mode 0600); default beside EMBEDDED_PG_DIR. */
    firstRunKeyFile: string;
    /** A key is re-read from the database at least this often: the bound on revocation and expiry changes. */
    keyCacheTtlMs: number;
    /** Keys (known or unknown ids) remembered per process; the oldest is forgotten beyond it. */
    keyCacheEntriesMax: number;
    /** Key lookups running at once; beyond it a request with an uncached key is answered 503. */
    keyLookupsInFlightMax: number;
    /** last_used_at is written at most this often per process (once per key per flush). */
    lastUsedFlushMs: number;
    /** Token bucket per key and per process: sustained requests per second (0: no limit) and burst. */
    rateLimitPerSecond: number;
    rateLimitBurst: number;
  };
  /** Holds (docs/money-movement.md): how long a hold lasts when the request does not say, and the longest allowed. */
  holds: {
    expiresInSecondsDefault: number;
    expiresInSecondsMax: number;
  };
  /** Events and webhooks (docs/events.md). */
  events: {
    /** Events (and finished deliveries) older than this are deleted, unless a subscription still needs them. */
    retentionHours: number;
    pruneIntervalMs: number;
    /** Rows deleted per prune call, at most (of events, and of deliveries). */
    pruneRowsMax: number;
  };
  webhooks: {
    /** Run the delivery dispatcher in this process. */
    dispatcherEnabled: boolean;
    /** How often the dispatcher looks for new events and due deliveries. */
    pollIntervalMs: number;
    /** Deliveries being sent at once by this process. */
    concurrencyMax: number;
    /** One attempt (connect, send, answer) may take this long. */
    attemptTimeoutMs: number;
    /** Backoff: base * 2^(attempt-1), capped, with jitter (a random 50-100% of it). */
    retryBaseDelayMs: number;
    retryMaxDelayMs: number;
    /** A delivery not acknowledged within this long after its event is marked failed. */
    retryWindowMs: number;
    /** Consecutive failed attempts after which a subscription is paused (resume: POST /webhooks/{id}/resume). */
    pauseAfterFailures: number;
    /** Events read per subscription per fan-out step. */
    fanOutBatchMax: number;
    /** Events of one (subscription, wallet) queue read per run and sent in order, one at a time. */
    runMax: number;
    /**
     * The money path first: while this process's event loop was busier than this (percent of the
     * last ~200 ms), the dispatcher sends at most busyRateMax events per second; 100: never yields.
     */
    yieldBusyPercent: number;
    busyRateMax: number;
    /** How often the outbox lag gauge is measured. */
    lagIntervalMs: number;
    /** Subscriptions per tenant, at most. */
    subscriptionsPerTenantMax: number;
    /** Allow URLs whose host is or resolves to a private, loopback or link-local address (SSRF guard off). */
    allowPrivateNetworks: boolean;
    /** 32-byte key (64 hex digits) that encrypts signing secrets at rest (AES-256-GCM); unset: stored as is. */
    secretKeyHex: string | undefined;
    /** The key before a rotation: opens secrets not yet resealed (npm run webhook-secrets -- reseal). */
    previousSecretKeyHex: string | undefined;
  };
  /** Group commit: see src/ledger/operation-batcher.ts for what each bound does and why. */
  groupCommit: {
    batchSizeMax: number;
    batchesInFlightMax: number;
    walletBatchesInFlightMax: number;
    maxWaitUs: number;
    walletQueueMax: number;
    queueTotalMax: number;
  };
}

type Env = Record<string, string | undefined>;

class ConfigReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return Number(raw);
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    this.problems.push(`${name} must be true or false (got ${JSON.stringify(raw)})`);
    return fallback;
  }

  /** false (default), true, a hop count, or comma-separated addresses/CIDRs. */
  trustProxy(name: string): boolean | number | string {
    const raw = this.optional(name);
    if (raw === undefined || /^(0|false|no|off)$/i.test(raw)) return false;
    if (/^(true|yes|on)$/i.test(raw)) return true;
    if (/^\d{1,2}$/.test(raw)) return Number(raw);
    if (/^[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*$/.test(raw)) return raw;
    this.problems.push(`${name} must be true, false, a hop count or comma-separated addresses/CIDRs (got ${JSON.stringify(raw)})`);
    return false;
  }

  /**
   * NAME, or the contents of the file named by NAME_FILE (Docker/Kubernetes secrets), never both.
   */
  secret(name: string): string | undefined {
    const file = this.optional(`${name}_FILE`);
    if (file === undefined) return this.optional(name);
    if (this.optional(name) !== undefined) {
      this.problems.push(`set ${name} or ${name}_FILE, not both`);
      return undefined;
    }
    try {
      return readFileSync(file, 'utf8').trim() || undefined;
    } catch (error) {
      this.problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }

  url(name: string): string | undefined {
    const raw = this.secret(name);
    if (raw === undefined) return undefined;
    if (!/^postgres(ql)?:\/\//.test(raw)) {
      this.problems.push(`${name} must be a postgres:// or postgresql:// URL`);
      return undefined;
    }
    return raw;
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Env = process.env): Config {
  const read = new ConfigReader(env);
  const databaseUrl = read.url('DATABASE_URL');
  const config: Config = {
    host: read.string('HOST', HOST_DEFAULT),
    port: read.int('PORT', 8000, 0, 65535),
    databaseUrl,
    migrationDatabaseUrl: read.url('MIGRATION_DATABASE_URL') ?? databaseUrl,
    migrateOnStart: read.bool('MIGRATE_ON_START', true),
    embeddedDataDir: read.string('EMBEDDED_PG_DIR', '.data/postgres'),
    embeddedPort: read.int('EMBEDDED_PG_PORT', 54329, 1, 65535),
    poolSizeMax: read.int('DB_POOL_SIZE_MAX', 10, 1, 1000),
    poolConnectTimeoutMs: read.int('DB_CONNECT_TIMEOUT_MS', 2000, 100, 60000),
    poolIdleTimeoutMs: read.int('DB_IDLE_TIMEOUT_MS', 30000, 1000, 3600000),
    lockTimeoutMs: read.int('DB_LOCK_TIMEOUT_MS', 2000, 10, 60000),
    statementTimeoutMs: read.int('DB_STATEMENT_TIMEOUT_MS', 5000, 10, 600000),
    retryAttemptsMax: read.int('RETRY_ATTEMPTS_MAX', 6, 1, 50),
    retryBaseDelayMs: read.int('RETRY_BASE_DELAY_MS', 20, 1, 10000),
    retryMaxDelayMs: read.int('RETRY_MAX_DELAY_MS', 1000, 1, 60000),
    operationBudgetMs: read.int('OPERATION_BUDGET_MS', 10000, 100, 600000),
    readBudgetMs: read.int('READ_BUDGET_MS', 5000, 100, 600000),
    slowTransactionMs: read.int('SLOW_TRANSACTION_MS', 200, 1, 600000),
    readyTimeoutMs: read.int('READY_TIMEOUT_MS', 2000, 50, 60000),
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10000, 0, 600000),
    dashboardIntervalMs: read.int('DASHBOARD_INTERVAL_MS', 2000, 100, 60000),
    dashboardHistoryLength: read.int('DASHBOARD_HISTORY_LENGTH', 180, 10, 10000),
    clusterMetricsPort: read.int('CLUSTER_METRICS_PORT', 9464, 0, 65535),
    clusterMetricsHost: read.string('CLUSTER_METRICS_HOST', '127.0.0.1'),
    logLevel: read.string('LOG_LEVEL', 'info'),
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 16384, 256, 10485760),
    webConcurrency: read.int('WEB_CONCURRENCY', 2, 1, 64),
    http: {
      maxHeaderSizeBytes: read.int('HTTP_MAX_HEADER_SIZE_BYTES', 16384, 1024, 1048576),
      headersTimeoutMs: read.int('HTTP_HEADERS_TIMEOUT_MS', 10000, 100, 600000),
      requestTimeoutMs: read.int('HTTP_REQUEST_TIMEOUT_MS', 30000, 100, 600000),
      keepAliveTimeoutMs: read.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65000, 100, 600000),
      socketTimeoutMs: read.int('HTTP_SOCKET_TIMEOUT_MS', 30000, 100, 600000),
      timeoutCheckIntervalMs: read.int('HTTP_TIMEOUT_CHECK_INTERVAL_MS', 1000, 10, 60000),
    },
    readCoalescing: {
      batchSizeMax: read.int('READ_BATCH_SIZE_MAX', 500, 1, 10000),
      batchesInFlightMax: read.int('READ_BATCHES_IN_FLIGHT_MAX', 4, 0, 1000),
      waitersMax: read.int('READ_WAITERS_MAX', 10000, 1, 1000000),
    },
    trustProxy: read.trustProxy('TRUST_PROXY'),
    auth: {
      required: read.bool('AUTH_REQUIRED', true),
      // Beside the embedded cluster (.data/api-key by default), so each data directory has its own.
      firstRunKeyFile: read.string('API_KEY_FILE', join(dirname(read.string('EMBEDDED_PG_DIR', '.data/postgres')), 'api-key')),
      keyCacheTtlMs: read.int('KEY_CACHE_TTL_MS', 5000, 100, 60000),
      keyCacheEntriesMax: read.int('KEY_CACHE_ENTRIES_MAX', 10000, 10, 1000000),
      keyLookupsInFlightMax: read.int('KEY_LOOKUPS_IN_FLIGHT_MAX', 16, 1, 1000),
      lastUsedFlushMs: read.int('KEY_LAST_USED_FLUSH_MS', 60000, 1000, 3600000),
      rateLimitPerSecond: read.int('RATE_LIMIT_PER_SECOND', 50000, 0, 10000000),
      rateLimitBurst: read.int('RATE_LIMIT_BURST', 100000, 1, 100000000),
    },
    holds: {
      // 7 days, as card authorizations usually last; at most 30.
      expiresInSecondsDefault: read.int('HOLD_EXPIRES_IN_SECONDS_DEFAULT', 604800, 1, 31536000),
      expiresInSecondsMax: read.int('HOLD_EXPIRES_IN_SECONDS_MAX', 2592000, 1, 31536000),
    },
    events: {
      retentionHours: read.int('EVENTS_RETENTION_HOURS', 168, 1, 87600),
      pruneIntervalMs: read.int('EVENTS_PRUNE_INTERVAL_MS', 60000, 100, 86400000),
      pruneRowsMax: read.int('EVENTS_PRUNE_ROWS_MAX', 10000, 1, 1000000),
    },
    webhooks: {
      dispatcherEnabled: read.bool('WEBHOOK_DISPATCHER_ENABLED', true),
      pollIntervalMs: read.int('WEBHOOK_POLL_INTERVAL_MS', 250, 10, 60000),
      concurrencyMax: read.int('WEBHOOK_CONCURRENCY_MAX', 16, 1, 1000),
      attemptTimeoutMs: read.int('WEBHOOK_ATTEMPT_TIMEOUT_MS', 10000, 100, 120000),
      retryBaseDelayMs: read.int('WEBHOOK_RETRY_BASE_DELAY_MS', 1000, 10, 3600000),
      retryMaxDelayMs: read.int('WEBHOOK_RETRY_MAX_DELAY_MS', 3600000, 10, 86400000),
      retryWindowMs: read.int('WEBHOOK_RETRY_WINDOW_MS', 86400000, 1000, 604800000),
      pauseAfterFailures: read.int('WEBHOOK_PAUSE_AFTER_FAILURES', 100, 1, 1000000),
      fanOutBatchMax: read.int('WEBHOOK_FANOUT_BATCH_MAX', 1000, 1, 100000),
      runMax: read.int('WEBHOOK_RUN_MAX', 100, 1, 10000),
      yieldBusyPercent: read.int('WEBHOOK_YIELD_BUSY_PERCENT', 70, 1, 100),
      busyRateMax: read.int('WEBHOOK_BUSY_RATE_MAX', 100, 1, 1000000),
      lagIntervalMs: read.int('WEBHOOK_LAG_INTERVAL_MS', 5000, 100, 600000),
      subscriptionsPerTenantMax: read.int('WEBHOOK_SUBSCRIPTIONS_PER_TENANT_MAX', 20, 1, 1000),
      allowPrivateNetworks: read.bool('WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
      secretKeyHex: read.secret('WEBHOOK_SECRET_KEY'),
      previousSecretKeyHex: read.secret('WEBHOOK_SECRET_KEY_PREVIOUS'),
    },
    groupCommit: {
      batchSizeMax: read.int('GROUP_COMMIT_BATCH_SIZE_MAX', 500, 1, 10000),
      batchesInFlightMax: read.int('GROUP_COMMIT_BATCHES_IN_FLIGHT_MAX', 3, 0, 1000), // 0: the pool size; never more than it
      walletBatchesInFlightMax: read.int('GROUP_COMMIT_WALLET_BATCHES_IN_FLIGHT_MAX', 1, 1, 100),
      maxWaitUs: read.int('GROUP_COMMIT_MAX_WAIT_US', 1000, 0, 100000),
      walletQueueMax: read.int('GROUP_COMMIT_WALLET_QUEUE_MAX', 10000, 1, 1000000),
      queueTotalMax: read.int('GROUP_COMMIT_QUEUE_TOTAL_MAX', 50000, 1, 10000000),
    },
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    read.problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    read.problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (config.holds.expiresInSecondsDefault > config.holds.expiresInSecondsMax) {
    read.problems.push('HOLD_EXPIRES_IN_SECONDS_DEFAULT must not exceed HOLD_EXPIRES_IN_SECONDS_MAX');
  }
  for (const [name, value] of [['WEBHOOK_SECRET_KEY', config.webhooks.secretKeyHex],
    ['WEBHOOK_SECRET_KEY_PREVIOUS', config.webhooks.previousSecretKeyHex]] as const) {
    if (value !== undefined && !/^[0-9a-fA-F]{64}$/.test(value)) read.problems.push(`${name} must be 64 hex digits (32 bytes; e.g. openssl rand -hex 32)`);
  }
  if (config.webhooks.retryBaseDelayMs > config.webhooks.retryMaxDelayMs) {
    read.problems.push('WEBHOOK_RETRY_BASE_DELAY_MS must not exceed WEBHOOK_RETRY_MAX_DELAY_MS');
  }
  if (config.retryBaseDelayMs > config.retryMaxDelayMs) {
    read.problems.push('RETRY_BASE_DELAY_MS must not exceed RETRY_MAX_DELAY_MS');
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}
