/**
 * Starts the service: config → database (embedded or DATABASE_URL) → migrations → app → listen.
 * This file owns the process (signals, exit codes); app.ts installs no signal handlers.
 */
import cluster from 'node:cluster';
import type { Server as TlsServer } from 'node:tls';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import { type PreparedDatabase, prepareDatabase } from './bootstrap.js';
import { createLedgerDatabase } from './ledger/tables.js';
import { assertPortFree } from './lib/free-port.js';
import { loadConfigOrExit } from './lib/load-config-or-exit.js';
import { readTlsFiles, type TlsFiles, tlsFilesOf, type TlsMaterial } from './lib/tls-files.js';
import { ensureLocalSecretKey } from './webhooks/local-secret-key.js';
import { readableLogStream } from './lib/readable-log.js';
import { loadTracing, type Tracing } from './tracing/tracing.js';

/** After the grace period, how long closing the pool and PostgreSQL may take before we exit anyway. */
const shutdownCleanupMs = 30_000;
/** How often connections that fell idle during the close are cut. */
const idleSweepIntervalMs = 100;

const say = (message: string) => console.log(`[wallet-service] ${message}`);

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  let tls: TlsMaterial | undefined;
  try {
    // Before the database and the migrations: a second `npm start`, or a certificate that cannot
    // serve, says so at once.
    await assertPortFree(config.host, config.port, 'the API', 'PORT');
    const tlsFiles = tlsFilesOf(config);
    tls = tlsFiles ? readTlsFiles(tlsFiles) : undefined;
  } catch (error) {
    console.error(`[wallet-service] ${(error as Error).message}`);
    process.exit(1);
  }
  const database = await prepareDatabase(config, say);
  try {
    await serve(withWebhookSecretKey(config, database), database, tls);
  } catch (error) {
    await database.stop(); // leave the embedded PostgreSQL as we found it
    throw error;
  }
}

/** Secrets at rest on by default: on the embedded PostgreSQL, a key made on the first run when none is set. */
function withWebhookSecretKey(config: Config, database: PreparedDatabase): Config {
  if (config.webhooks.secretKeyHex !== undefined || !database.embedded) return config;
  const secretKeyHex = ensureLocalSecretKey(config.webhooks.localSecretKeyFile, say);
  return { ...config, webhooks: { ...config.webhooks, secretKeyHex } };
}

async function serve(config: Config, database: PreparedDatabase, tls: TlsMaterial | undefined): Promise<void> {
  const db = createLedgerDatabase({
    url: database.url,
    poolSizeMax: config.poolSizeMax,
    connectTimeoutMs: config.poolConnectTimeoutMs,
    idleTimeoutMs: config.poolIdleTimeoutMs,
    queryTimeoutMs: config.statementTimeoutMs + 1000,
  });
  // Before the app: the OpenTelemetry SDK is imported only when an endpoint is set.
  let tracing: Tracing | null;
  try {
    tracing = await loadTracing(config.tracing);
  } catch (error) {
    await db.close();
    throw error;
  }
  if (tracing) say(`tracing on: spans go to ${config.tracing.tracesEndpoint || config.tracing.endpoint} (${config.tracing.protocol})`);
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
  const app = await buildApp({
    config, db, tls, tracing, logger: { level: config.logLevel, ...(pretty ? { stream: readableLogStream(process.stdout) } : {}) },
  });
  let shuttingDown = false;
  db.pool.on('error', (error: Error & { code?: string }) => {
    // An idle connection the server or PgBouncer closed: the pool opens another when needed.
    // While we shut down that is expected; otherwise worth a warning, but a stack trace of
    // pg's socket handling tells an operator nothing.
    if (shuttingDown) app.log.info({ code: error.code }, 'idle database connection closed during shutdown');
    else app.log.warn({ code: error.code, reason: error.message }, 'idle database connection lost');
  });

  // SIGTERM/SIGINT: stop accepting (Fastify answers 503 + Connection: close meanwhile, so /ready
  // drains the instance), let in-flight requests finish within SHUTDOWN_GRACE_MS, then cut what
  // is left, drain the group-commit queue (onClose), close the pool, and leave the embedded
  // PostgreSQL (stopped unless another live process uses it). close-with-grace exits 0 after a
  // signal, 1 after an uncaught error or when all this takes longer than the bound below; a
  // second signal exits at once.
  const graceMs = config.shutdownGraceMs;
  if (cluster.isWorker) {
    // A worker is stopped by its primary (src/cluster.ts) with one SIGTERM. A terminal's Ctrl-C
    // reaches the whole process group: were it handled here too, the primary's SIGTERM would be
    // a second signal, and close-with-grace would exit without draining.
    process.on('SIGINT', () => undefined);
  }
  closeWithGrace({
    // With TLS, SIGHUP reloads the certificate (below) instead of shutting down.
    skip: [...(cluster.isWorker ? ['SIGINT' as const] : []), ...(tls ? ['SIGHUP' as const] : [])],
    delay: graceMs + shutdownCleanupMs,
    logger: false,
    onTimeout: () => console.error(`[wallet-service] shutdown took longer than ${graceMs + shutdownCleanupMs} ms: exiting`),
    onSecondSignal: (signal) => console.error(`[wallet-service] second ${signal}: exiting now`),
  }, async ({ signal, err }) => {
    shuttingDown = true;
    if (err) console.error(`[wallet-service] fatal: ${err.stack ?? err.message}`);
    say(`${signal ?? (err ? 'error' : 'exit')} received, shutting down`);
    try {
      await closeApp(app, graceMs);
      await db.close();
      await tracing?.shutdown(); // sends the spans still buffered
    } catch (error) {
      console.error(`[wallet-service] error while shutting down: ${(error as Error)?.message ?? String(error)}`);
    } finally {
      await database.stop();
      say('stopped');
    }
  });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    console.error(`[wallet-service] cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
    await db.close();
    await database.stop();
    process.exit(1);
  }
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `${tls ? 'https' : 'http'}://${shownHost}:${config.port}`;
  say(`serving on ${base} (docs: ${base}/docs)`);
  const tlsFiles = tlsFilesOf(config);
  if (tls && tlsFiles) {
    say(`TLS: certificate ${tls.subject}, valid until ${tls.validTo.toISOString()}; Strict-Transport-Security: on; ` +
      'plain HTTP is not served on this port. SIGHUP re-reads TLS_CERT_FILE and TLS_KEY_FILE');
    warnIfExpiring(tls);
    reloadCertificateOnSighup(app.server as unknown as TlsServer, tlsFiles);
  }
}

const certificateWarningDays = 14;

function warnIfExpiring(tls: TlsMaterial): void {
  const daysLeft = Math.floor((tls.validTo.getTime() - Date.now()) / 86_400_000);
  if (daysLeft < certificateWarningDays) say(`warning: the TLS certificate expires in ${daysLeft} day(s): replace the files and send SIGHUP`);
}

/**
 * Rotation without a restart: new connections get the new certificate, open ones keep theirs. A
 * file that cannot serve (unreadable, wrong key, expired) leaves the current certificate in place.
 * Only with TLS on: otherwise SIGHUP keeps its default (a closed terminal ends the process).
 */
function reloadCertificateOnSighup(server: TlsServer, files: TlsFiles): void {
  process.on('SIGHUP', () => {
    try {
      const next = readTlsFiles(files);
      server.setSecureContext({ cert: next.cert, key: next.key });
      say(`SIGHUP: TLS certificate reloaded: ${next.subject}, valid until ${next.validTo.toISOString()}`);
      warnIfExpiring(next);
    } catch (error) {
      console.error(`[wallet-service] SIGHUP: kept the current TLS certificate: ${(error as Error).message}`);
    }
  });
}

/** app.close(), with in-flight requests given `graceMs` before their connections are cut. */
async function closeApp(app: Awaited<ReturnType<typeof buildApp>>, graceMs: number): Promise<void> {
  let graceTimer: NodeJS.Timeout | undefined;
  const closing = app.close();
  // A keep-alive connection whose request finishes during the close would otherwise stay
  // open until keepAliveTimeout: close connections as soon as they fall idle.
  const idleSweep = setInterval(() => app.server.closeIdleConnections(), idleSweepIntervalMs);
  void closing.finally(() => clearInterval(idleSweep)).catch(() => undefined); // a failed close is reported by the caller
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
}

main().catch((error: unknown) => {
  console.error(`[wallet-service] failed to start: ${(error as Error)?.message ?? String(error)}`);
  process.exit(1);
});
