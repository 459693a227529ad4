/** Starts the service: config → database (embedded or DATABASE_URL) → migrations → app → listen. */
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { prepareDatabase } from './db/bootstrap.js';
import { createDatabase } from './db/database.js';

/** After the grace period, how long closing the pool and PostgreSQL may take before we exit anyway. */
const shutdownCleanupMs = 30_000;

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

  // SIGTERM: stop accepting (Fastify answers 503 + Connection: close meanwhile, so /ready drains
  // the instance), let in-flight requests finish within SHUTDOWN_GRACE_MS, then cut what is left,
  // drain the group-commit queue (onClose), close the pool, and stop the embedded PostgreSQL.
  const graceMs = config.shutdownGraceMs;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal} received, shutting down`);
    const force = setTimeout(() => {
      console.error('[wallet-service] shutdown took too long, exiting');
      process.exit(1);
    }, graceMs + shutdownCleanupMs);
    force.unref();
    try {
      let graceTimer: NodeJS.Timeout | undefined;
      const closing = app.close();
      // A keep-alive connection whose request finishes during the close would otherwise stay
      // open until keepAliveTimeout: close connections as soon as they fall idle.
      const idleSweep = setInterval(() => app.server.closeIdleConnections(), 100);
      void closing.finally(() => clearInterval(idleSweep));
      const closed = await Promise.race([
        closing.then(() => true),
        new Promise<boolean>((resolve) => { graceTimer = setTimeout(() => resolve(false), graceMs); }),
      ]);
      clearTimeout(graceTimer);
      if (!closed) {
        say(`requests still in flight after ${graceMs} ms: closing their connections`);
        app.server.closeAllConnections();
        await closing;
      }
      await db.close();
    } catch (error) {
      console.error(`[wallet-service] error while shutting down: ${(error as Error)?.message ?? String(error)}`);
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
