/** Starts the service: config → database (embedded or DATABASE_URL) → migrations → app → listen. */
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { prepareDatabase } from './db/bootstrap.js';
import { createDatabase } from './db/database.js';

/** In-flight requests get this long to finish after SIGTERM/SIGINT. */
const shutdownGraceMs = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const say = (message: string) => console.log(`[wallet-service] ${message}`);
  const database = await prepareDatabase(config, say);
  const db = createDatabase({
    url: database.url,
    poolSizeMax: config.poolSizeMax,
    connectTimeoutMs: config.poolConnectTimeoutMs,
    idleTimeoutMs: config.poolIdleTimeoutMs,
    queryTimeoutMs: config.statementTimeoutMs + 1000,
  });
  const app = await buildApp({ config, db });
  db.pool.on('error', (error) => app.log.warn({ err: error }, 'idle database connection lost'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal} received, shutting down`);
    const force = setTimeout(() => {
      console.error('[wallet-service] shutdown took too long, exiting');
      process.exit(1);
    }, shutdownGraceMs + 60_000);
    force.unref();
    try {
      await Promise.race([app.close(), new Promise((resolve) => setTimeout(resolve, shutdownGraceMs))]);
      await db.close();
    } finally {
      await database.stop();
      say('stopped');
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    console.error(`[wallet-service] cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
    await db.close();
    await database.stop();
    process.exit(1);
  }
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  say(`serving on http://${shownHost}:${config.port} (docs: http://${shownHost}:${config.port}/docs)`);
}

main().catch((error: unknown) => {
  console.error(`[wallet-service] failed to start: ${(error as Error)?.message ?? String(error)}`);
  process.exit(1);
});
