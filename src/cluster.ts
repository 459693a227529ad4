/**
 * WEB_CONCURRENCY app processes serving one port (node:cluster: the primary accepts connections
 * and hands them to the workers in turn). Each worker is the ordinary server (src/server.ts) with
 * its own small pool; workers share nothing but PgBouncer, which is why the app may be stateless.
 * The primary runs the migrations once (when asked), restarts a worker that dies (a bounded number
 * of times), and on SIGTERM/SIGINT lets every worker drain before it exits.
 * Entry point of the container image and of `npm run stack` (as a child): product runtime, so it
 * stays in src/ while the local tooling lives in tools/.
 */
import cluster, { type Worker } from 'node:cluster';
import { loadConfigOrExit } from './lib/load-config-or-exit.js';
import { readTlsFiles, tlsFilesOf } from './lib/tls-files.js';
import { type ClusterMetricsServer, serveClusterMetrics } from './metrics/cluster-metrics.js';

/** A worker dying more often than this is a crash loop: give up instead of spinning. */
const restartsPerWindowMax = 5;
const restartWindowMs = 60_000;
/** Beyond the workers' own grace period, time for their pools to close before we kill them. */
const shutdownCleanupMs = 30_000;

const say = (message: string) => console.log(`[cluster ${process.pid}] ${message}`);

async function primary(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.databaseUrl) {
    console.error('[cluster] WEB_CONCURRENCY workers need DATABASE_URL (PgBouncer, or PostgreSQL): each worker ' +
      'cannot start its own embedded PostgreSQL. `npm run stack` starts PostgreSQL, PgBouncer and the workers; ' +
      '`npm start` runs one process with an embedded PostgreSQL.');
    process.exit(2);
  }
  const tlsFiles = tlsFilesOf(config);
  if (tlsFiles) {
    // Checked once here, so that a certificate that cannot serve is one clear line, not a crash loop.
    try {
      readTlsFiles(tlsFiles);
    } catch (error) {
      console.error(`[cluster] ${(error as Error).message}`);
      process.exit(2);
    }
  }
  if (config.migrateOnStart && config.migrationDatabaseUrl) {
    // Once, here, not once per worker (they would only queue on Liquibase's lock).
    const { migrate } = await import('./db/migrations.js');
    await migrate(config.migrationDatabaseUrl, { log: say });
  }

  let stopping = false;
  let metrics: ClusterMetricsServer | undefined;
  const restarts: number[] = [];
  const fork = (): Worker => cluster.fork({ MIGRATE_ON_START: 'false' });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    while (restarts.length > 0 && restarts[0]! < now - restartWindowMs) restarts.shift();
    if (restarts.length >= restartsPerWindowMax) {
      console.error(`[cluster] workers died ${restartsPerWindowMax} times within ${restartWindowMs / 1000} s: stopping`);
      void stop('crash loop', 1);
      return;
    }
    restarts.push(now);
    say(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}), starting a new one`);
    fork();
  });

  const stop = async (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping ${Object.keys(cluster.workers ?? {}).length} worker(s)`);
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = workers.map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) resolve();
      else w.once('exit', () => resolve());
    }));
    for (const w of workers) w.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      say('workers did not stop in time: killing them');
      for (const w of workers) w.process.kill('SIGKILL');
    }, config.shutdownGraceMs + shutdownCleanupMs);
    await Promise.all(exited);
    clearTimeout(killer);
    await metrics?.close();
    say('stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop('SIGINT received'));
  process.on('SIGTERM', () => void stop('SIGTERM received'));
  if (tlsFiles) {
    // Certificate rotation: each worker re-reads the files (src/server.ts).
    process.on('SIGHUP', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
  }

  if (config.clusterMetricsPort > 0) {
    // A scrape of the shared port reaches one worker; this one sums them all. Bound before any
    // worker starts, so a taken port is one clear line, not workers failing on a closed channel.
    try {
      metrics = await serveClusterMetrics(config.clusterMetricsHost, config.clusterMetricsPort);
    } catch (error) {
      const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      console.error(`[cluster] cannot serve the workers' summed metrics on ${config.clusterMetricsHost}:${config.clusterMetricsPort}: ` +
        (inUse ? 'the port is in use. Set CLUSTER_METRICS_PORT to a free port (0 turns this endpoint off).' : (error as Error).message));
      process.exit(2);
    }
    say(`metrics of all workers on http://${config.clusterMetricsHost}:${metrics.port}/metrics (management listener, no API key)`);
  }
  say(`starting ${config.webConcurrency} worker(s) on port ${config.port}`);
  for (let i = 0; i < config.webConcurrency; i++) fork();
}

if (cluster.isPrimary) {
  primary().catch((error: unknown) => {
    console.error(`[cluster] failed to start: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  });
} else {
  await import('./server.js');
}
