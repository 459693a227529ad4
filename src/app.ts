/** buildApp(config, db): registers plugins and routes; never listens (tests use inject or port 0). */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerAuth } from './auth/auth-plugin.js';
import { Authenticator } from './auth/authenticator.js';
import { lookupKey, touchKeys } from './auth/key-store.js';
import { TenantQuotas } from './auth/tenant-quotas.js';
import { TokenBuckets } from './auth/token-bucket.js';
import type { Config } from './config/config.js';
import type { LedgerDb } from './ledger/tables.js';
import { registerDashboard } from './dashboard/dashboard-routes.js';
import { expectedChangesets, ReadinessCheck, registerReadiness } from './health/readiness.js';
import { eventRoutes } from './events/event-routes.js';
import { EventService } from './events/event-service.js';
import { WebhookMetrics } from './webhooks/webhook-metrics.js';
import { SecretBox } from './webhooks/secret-box.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { webhookRoutes } from './webhooks/webhook-routes.js';
import { WebhookService } from './webhooks/webhook-service.js';
import { historyRoutes } from './history/history-routes.js';
import { HistoryService } from './history/history-service.js';
import { clientErrorHandler, frameworkErrors } from './plugins/client-error.js';
import { registerErrorHandler } from './plugins/error-handler.js';
import { registerJsonBodyParser } from './plugins/json-body.js';
import { registerMetrics } from './plugins/metrics.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { registerSwagger } from './plugins/swagger.js';
import { validatorCompiler } from './plugins/validation.js';
import { holdRoutes } from './holds/hold-routes.js';
import { HoldService } from './holds/hold-service.js';
import { CommandBatcher } from './ledger/command-batcher.js';
import { CommandExecutor } from './ledger/command-executor.js';
import { RefusalPruner } from './ledger/refusal-pruner.js';
import { transferRoutes } from './transfers/transfer-routes.js';
import { TransferService } from './transfers/transfer-service.js';
import { walletRoutes } from './wallets/wallet-routes.js';
import { WalletService } from './wallets/wallet-service.js';
import { operationRoutes } from './operations/operation-routes.js';
import { OperationService } from './operations/operation-service.js';
import { AccessLog } from './plugins/access-log.js';
import { LOG_REDACT } from './lib/logger.js';
import { registerTracing } from './plugins/tracing.js';
import { batchTrace } from './tracing/batch-trace.js';
import { tracePool } from './tracing/pg-spans.js';
import type { Tracing } from './tracing/tracing.js';

export interface AppOptions {
  config: Config;
  db: LedgerDb;
  logger?: FastifyServerOptions['logger'];
  /** HTTPS with this certificate and key (PEM; src/lib/tls-files.ts reads them); absent: plain HTTP. */
  tls?: { cert: string; key: string };
  /** From loadTracing(config.tracing): null or absent when tracing is off. Its owner shuts it down. */
  tracing?: Tracing | null;
}

const requestIdPattern = /^[\w.:-]{1,128}$/;

/** A hop count becomes the function form (trust the n nearest hops), which Fastify's types accept. */
function trustProxyOption(value: Config['trustProxy']): FastifyServerOptions['trustProxy'] {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : value;
}

export async function buildApp({ config, db, logger, tls, tracing = null }: AppOptions): Promise<FastifyInstance> {
  const serverLimits = {
    maxHeaderSize: config.http.maxHeaderSizeBytes,
    headersTimeout: config.http.headersTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    connectionsCheckingInterval: config.http.timeoutCheckIntervalMs,
  };
  const app = Fastify({
    // Redaction whatever logger options the caller passes (tests pass their own stream).
    logger: logger === false ? false : { level: config.logLevel, ...(typeof logger === 'object' ? logger : {}), redact: LOG_REDACT },
    bodyLimit: config.bodyLimitBytes,
    // Long enough that an over-long id reaches validation (422, as FastAPI answers); beyond, 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    requestIdHeader: false,
    logController: new AccessLog(), // one line per request instead of Fastify's two
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    // HTTP limits (README "Limits"): slow or oversized clients are cut off, answered {"detail"}.
    connectionTimeout: config.http.socketTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    http: serverLimits,
    // HTTPS: https.createServer takes the same limits. Hidden from the types (`as object`), which
    // would make this an https app throughout: what the code uses of app.server (address, close,
    // closeIdleConnections, closeAllConnections, setSecureContext in src/server.ts) both servers have.
    ...((tls ? { https: { ...serverLimits, cert: tls.cert, key: tls.key } } : {}) as object),
    trustProxy: trustProxyOption(config.trustProxy),
    clientErrorHandler,
    frameworkErrors,
  });

  app.setValidatorCompiler(validatorCompiler());
  // First: every later hook, the handler and its queries run inside the request's span.
  if (tracing) {
    registerTracing(app, tracing);
    tracePool(db.pool, tracing);
  }

  // Callback style on the request path: an async hook costs every request a promise.
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });

  registerErrorHandler(app);
  registerSecurityHeaders(app, { strictTransportSecurity: tls !== undefined });
  registerJsonBodyParser(app, config.bodyLimitBytes);

  const readPolicy = {
    attemptsMax: config.retryAttemptsMax,
    baseDelayMs: config.retryBaseDelayMs,
    maxDelayMs: config.retryMaxDelayMs,
    budgetMs: config.readBudgetMs,
  };
  // Before any route: its onRoute hook gives every route its access rule (and OpenAPI security).
  registerAuth(app, {
    // Also in the open mode: webhook management and the operational endpoints need a key there too.
    authenticator: new Authenticator({ lookup: (id) => lookupKey(db.pool, id), touch: (ids) => touchKeys(db.pool, ids) }, {
      ttlMs: config.auth.keyCacheTtlMs,
      staleMs: config.auth.keyCacheStaleMs,
      entriesMax: config.auth.keyCacheEntriesMax,
      lookupsInFlightMax: config.auth.keyLookupsInFlightMax,
      lastUsedFlushMs: config.auth.lastUsedFlushMs,
      failuresPerSecond: config.auth.failuresPerSecond,
      failuresBurst: config.auth.failuresBurst,
    }, readPolicy, app.log),
    required: config.auth.required,
    rateLimit: new TokenBuckets({ ratePerSecond: config.auth.rateLimitPerSecond, burst: config.auth.rateLimitBurst }),
    quotas: new TenantQuotas(db.pool, config.auth.keyCacheTtlMs, (error) => app.log.warn({ err: error }, 'tenant quota read failed; admitting')),
  });
  if (!config.auth.required) {
    app.log.warn('AUTH_REQUIRED=false: the wallet API needs no key; every wallet request acts as tenant "default" with ' +
      'wallets:read and wallets:write. Webhooks, /metrics and /dashboard/data still need an admin key. ' +
      'Run this only behind a gateway that authenticates.');
  }
  // Before any route, so that every route's requests are measured.
  const { metrics, executorHooks } = registerMetrics(app, {
    pool: db.pool,
    poolSizeMax: config.poolSizeMax,
    liveIntervalMs: config.dashboardIntervalMs,
    liveHistoryLength: config.dashboardHistoryLength,
    worker: cluster.isWorker && cluster.worker ? { id: cluster.worker.id, count: config.webConcurrency } : null,
  });
  await registerSwagger(app);

  const executor = new CommandExecutor(db.pool,
    { lockTimeoutMs: config.lockTimeoutMs, statementTimeoutMs: config.statementTimeoutMs },
    { ...readPolicy, budgetMs: config.operationBudgetMs },
    app.log,
    // Metrics: onRetry, onTransaction (+ slow-transaction log), onBatch, onLockWait.
    executorHooks(app.log, config.slowTransactionMs));
  const batcher = new CommandBatcher(executor, {
    ...config.groupCommit,
    // Each batch holds one pool connection: never more batches at once than the pool has.
    batchesInFlightMax: Math.min(config.groupCommit.batchesInFlightMax || config.poolSizeMax, config.poolSizeMax),
    commandBudgetMs: config.operationBudgetMs,
  }, app.log, tracing ? batchTrace(tracing) : undefined);
  // Resolves once every command taken has been answered: the pool closes only after it.
  app.addHook('onClose', async () => batcher.close());
  const refusals = new RefusalPruner(db.kysely, config.refusals, app.log);
  app.addHook('onReady', async () => refusals.start());
  app.addHook('preClose', async () => refusals.stop());

  app.get('/health', {
    config: { auth: 'public' },
    schema: {
      tags: ['service'], summary: 'Liveness: the process is up',
      response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } }, example: { status: 'ok' } } },
    },
  }, async () => ({ status: 'ok' }));
  registerReadiness(app, new ReadinessCheck(db.pool, expectedChangesets(), config.readyTimeoutMs));
  await app.register(walletRoutes(new WalletService(db.kysely, readPolicy, app.log, config.readCoalescing,
    config.wallets.defaultCurrency)));
  await app.register(operationRoutes(new OperationService(db.kysely, batcher, readPolicy, app.log)));
  // Transfers share the batcher: a transfer and the deposits/withdrawals of either wallet are
  // ordered and committed together (src/ledger/command-batcher.ts).
  await app.register(transferRoutes(new TransferService(db.kysely, batcher, readPolicy, app.log)));
  // Holds too: a hold, its capture or void and the wallet's other commands share one queue and lock.
  await app.register(holdRoutes(new HoldService(db.kysely, batcher, readPolicy, app.log, config.holds), config.holds));
  await app.register(historyRoutes(new HistoryService(db.kysely, readPolicy, app.log)));
  await app.register(eventRoutes(new EventService(db.kysely, readPolicy, app.log)));
  const secrets = new SecretBox(config.webhooks.secretKeyHex, config.webhooks.previousSecretKeyHex);
  if (!secrets.encrypts) {
    app.log.warn('WEBHOOK_SECRET_KEY is not set: webhook signing secrets are stored unencrypted in the database');
  }
  await app.register(webhookRoutes(new WebhookService(db.kysely, secrets, {
    allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
    subscriptionsPerTenantMax: config.webhooks.subscriptionsPerTenantMax,
  }, readPolicy, app.log)));
  if (config.webhooks.dispatcherEnabled) {
    const dispatcher = new WebhookDispatcher(db.kysely, secrets, {
      ...config.webhooks,
      retentionHours: config.events.retentionHours,
      pruneIntervalMs: config.events.pruneIntervalMs,
      pruneRowsMax: config.events.pruneRowsMax,
    }, new WebhookMetrics(metrics.registry), app.log, tracing);
    // Started once the app is ready; stopped first on close (runs in flight finish), before the pool closes.
    app.addHook('onReady', async () => dispatcher.start());
    app.addHook('preClose', async () => dispatcher.stop());
  }
  registerDashboard(app, metrics.live);
  return app;
}
