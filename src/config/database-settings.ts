/** Settings of the database and the money path: connections, timeouts, retries, the two batchers. */
import { section } from './section.js';
import { boolean, integer, postgresUrl, text } from './setting.js';

export const databaseSection = section({
  title: 'Database',
  intro: 'Without `DATABASE_URL` the service starts an embedded PostgreSQL ([local stack](local-stack.md)). ' +
    'A URL may also come from a file: `DATABASE_URL_FILE`, `MIGRATION_DATABASE_URL_FILE` (Docker/Kubernetes secrets; not both).',
  settings: {
    databaseUrl: postgresUrl('DATABASE_URL', {
      meaning: 'PostgreSQL (or PgBouncer) URL for the app; unset: start the embedded PostgreSQL',
    }),
    migrationDatabaseUrl: postgresUrl('MIGRATION_DATABASE_URL', {
      meaning: 'URL Liquibase uses; must reach PostgreSQL directly, never PgBouncer',
      derived: { text: '`DATABASE_URL`', from: (settings) => settings.get('DATABASE_URL') },
    }),
    migrateOnStart: boolean('MIGRATE_ON_START', { default: true, meaning: 'apply the Liquibase changelog at start-up' }),
    embeddedDataDir: text('EMBEDDED_PG_DIR', { default: '.data/postgres', meaning: 'directory of the embedded PostgreSQL cluster' }),
    embeddedPort: integer('EMBEDDED_PG_PORT', { default: 54329, min: 1, max: 65535, meaning: 'port of the embedded PostgreSQL cluster' }),
    poolSizeMax: integer('DB_POOL_SIZE_MAX', {
      default: 10, min: 1, max: 1000, unit: 'connections',
      meaning: 'app pool size per process; small on purpose: batches and PgBouncer do the multiplexing, the row lock serialises anyway',
    }),
    poolConnectTimeoutMs: integer('DB_CONNECT_TIMEOUT_MS', {
      default: 2000, min: 100, max: 60000, unit: 'ms', meaning: 'bound on getting a connection',
    }),
    poolIdleTimeoutMs: integer('DB_IDLE_TIMEOUT_MS', {
      default: 30000, min: 1000, max: 3600000, unit: 'ms', meaning: 'idle pool connections are closed after this',
    }),
    lockTimeoutMs: integer('DB_LOCK_TIMEOUT_MS', {
      default: 2000, min: 10, max: 60000, unit: 'ms', meaning: '`SET LOCAL lock_timeout` per transaction (then retried)',
    }),
    statementTimeoutMs: integer('DB_STATEMENT_TIMEOUT_MS', {
      default: 5000, min: 10, max: 600000, unit: 'ms', meaning: '`SET LOCAL statement_timeout` per transaction; the client gives up 1 s later',
    }),
  },
});

export const retrySection = section({
  title: 'Retries and time budgets',
  intro: 'Transient database faults (serialisation, deadlock, lock timeout, lost connection) are retried ' +
    'with backoff: full jitter under min(max, base × 2^n), within the request\'s budget.',
  settings: {
    retryAttemptsMax: integer('RETRY_ATTEMPTS_MAX', {
      default: 6, min: 1, max: 50, unit: 'attempts', meaning: 'attempts per operation or read',
    }),
    retryBaseDelayMs: integer('RETRY_BASE_DELAY_MS', { default: 20, min: 1, max: 10000, unit: 'ms', meaning: 'backoff base' }),
    retryMaxDelayMs: integer('RETRY_MAX_DELAY_MS', { default: 1000, min: 1, max: 60000, unit: 'ms', meaning: 'backoff cap' }),
    operationBudgetMs: integer('OPERATION_BUDGET_MS', {
      default: 10000, min: 100, max: 600000, unit: 'ms',
      meaning: 'total time a money-movement request may take (queueing and retries) before it answers FAILED or PENDING',
    }),
    readBudgetMs: integer('READ_BUDGET_MS', {
      default: 5000, min: 100, max: 600000, unit: 'ms', meaning: 'total time a read or wallet creation may take (with retries) before 503',
    }),
  },
});

export const groupCommitSection = section({
  title: 'Group commit',
  intro: 'Bounds of the engine that applies commands in batches; what each does and why its default ' +
    'is what it is: [architecture](architecture.md) and `src/ledger/command-batcher.ts`.',
  group: 'groupCommit',
  settings: {
    batchSizeMax: integer('GROUP_COMMIT_BATCH_SIZE_MAX', {
      default: 500, min: 1, max: 10000, unit: 'commands', meaning: 'commands in one batch (one transaction)',
    }),
    batchesInFlightMax: integer('GROUP_COMMIT_BATCHES_IN_FLIGHT_MAX', {
      default: 3, min: 0, max: 1000, unit: 'batches', meaning: 'batches running at once, each on one pool connection; never more than `DB_POOL_SIZE_MAX` (0: the pool size)',
    }),
    walletBatchesInFlightMax: integer('GROUP_COMMIT_WALLET_BATCHES_IN_FLIGHT_MAX', {
      default: 1, min: 1, max: 100, unit: 'batches', meaning: 'batches of one wallet running at once; what arrives meanwhile gathers into its next batch',
    }),
    maxWaitUs: integer('GROUP_COMMIT_MAX_WAIT_US', {
      default: 1000, min: 0, max: 100000, unit: 'µs', meaning: 'how long a batch lingers for more commands while the engine is busy (0: never)',
    }),
    walletQueueMax: integer('GROUP_COMMIT_WALLET_QUEUE_MAX', {
      default: 10000, min: 1, max: 1000000, unit: 'commands', meaning: 'commands queued for one wallet; beyond it 503 + `Retry-After`',
    }),
    queueTotalMax: integer('GROUP_COMMIT_QUEUE_TOTAL_MAX', {
      default: 50000, min: 1, max: 10000000, unit: 'commands', meaning: 'commands queued over all wallets; beyond it 503 + `Retry-After`',
    }),
  },
});

export const readCoalescingSection = section({
  title: 'Read coalescing',
  intro: 'Concurrent balance reads are answered by one `WHERE id = ANY(...)` query per batch (`src/wallets/wallet-reader.ts`).',
  group: 'readCoalescing',
  settings: {
    batchSizeMax: integer('READ_BATCH_SIZE_MAX', {
      default: 500, min: 1, max: 10000, unit: 'reads', meaning: 'wallets read by one query',
    }),
    batchesInFlightMax: integer('READ_BATCHES_IN_FLIGHT_MAX', {
      default: 4, min: 0, max: 1000, unit: 'queries', meaning: 'coalesced queries running at once (0: off, one query per read)',
    }),
    waitersMax: integer('READ_WAITERS_MAX', {
      default: 10000, min: 1, max: 1000000, unit: 'reads', meaning: 'reads waiting for a batch, in all; one more is answered 503 + `Retry-After` instead of growing memory',
    }),
  },
});
