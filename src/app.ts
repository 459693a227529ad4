/** buildApp(config, db): registers plugins and routes; never listens (tests use inject or port 0). */
import { randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import { registerErrorHandler } from './plugins/error-handler.js';
import { registerJsonBodyParser } from './plugins/json-body.js';
import { registerSwagger } from './plugins/swagger.js';
import { OperationBatcher } from './wallets/operation-batcher.js';
import { OperationExecutor } from './wallets/operation-executor.js';
import { registerWalletRoutes } from './wallets/wallet-routes.js';
import { OPERATION_BODY_VALIDATOR, validateOperationBody } from './wallets/wallet-schemas.js';
import { WalletService } from './wallets/wallet-service.js';

export interface AppOptions {
  config: Config;
  db: Db;
  logger?: FastifyServerOptions['logger'];
}

const requestIdPattern = /^[\w.:-]{1,128}$/;

function createAjv(): Ajv {
  const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

export async function buildApp({ config, db, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    connectionTimeout: 30_000,
    keepAliveTimeout: 65_000,
    requestTimeout: 60_000,
  });

  const ajv = createAjv();
  app.setValidatorCompiler(({ schema }) => {
    if ((schema as Record<string, unknown>)['x-validator'] === OPERATION_BODY_VALIDATOR) return validateOperationBody;
    return ajv.compile(schema);
  });

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  registerErrorHandler(app);
  registerJsonBodyParser(app, config.bodyLimitBytes);
  await registerSwagger(app);

  const readPolicy = {
    attemptsMax: config.retryAttemptsMax,
    baseDelayMs: config.retryBaseDelayMs,
    maxDelayMs: config.retryMaxDelayMs,
    budgetMs: config.readBudgetMs,
  };
  const executor = new OperationExecutor(db.pool,
    { lockTimeoutMs: config.lockTimeoutMs, statementTimeoutMs: config.statementTimeoutMs },
    { ...readPolicy, budgetMs: config.operationBudgetMs },
    app.log);
  const batcher = new OperationBatcher(executor, {
    ...config.groupCommit,
    batchesInFlightMax: config.groupCommit.batchesInFlightMax || config.poolSizeMax,
    operationBudgetMs: config.operationBudgetMs,
  });
  app.addHook('onClose', async () => batcher.close());
  const service = new WalletService(db.kysely, batcher, readPolicy, app.log);

  app.get('/health', { schema: { tags: ['service'], summary: 'Liveness: the process is up' } },
    async () => ({ status: 'ok' }));
  registerWalletRoutes(app, service);
  return app;
}
