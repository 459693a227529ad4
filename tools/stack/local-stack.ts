/**
 * `npm run stack`: the production topology on one machine, without Docker.
 *   PostgreSQL (embedded, or DATABASE_URL) ← Liquibase, directly
 *        ↑
 *   PgBouncer (local binary, transaction pooling, docker/pgbouncer/pgbouncer.ini, unprivileged user)
 *        ↑
 *   WEB_CONCURRENCY app workers on one port (src/cluster.ts), as wallet_app
 * Secrets are generated on first run (or taken from the environment) and kept in STACK_DIR with
 * mode 0600. Ctrl-C stops the app first (it drains), then PgBouncer, then PostgreSQL. Each part is
 * started by the shared launcher (tools/stack/launcher.ts, tools/stack/app-process.ts).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prettyFactory } from 'pino-pretty';
import { assertPortFree } from '../../src/lib/free-port.js';
import { type FrontBouncer, type FrontBouncerSecrets, generateSecrets } from '../pgbouncer/front-bouncer.js';
import { type AppProcess, startAppProcess } from './app-process.js';
import { launchDatabase, type LaunchedDatabase } from './launcher.js';
import { endpointsFile, type StackEndpoints, stackSettings } from './stack-settings.js';
import { ensureFirstRunKey } from '../../src/auth/first-run-key.js';
import { ensureSelfSignedCertificate } from './tls-certificate.js';

const keyFile = (stackDir: string) => join(stackDir, 'api-key');

const say = (message: string) => console.log(`[stack] ${message}`);
const appStartTimeoutMs = 60_000;
const appStopTimeoutMs = 45_000;
const pgbouncerRestartsMax = 5;

function loadSecrets(stackDir: string, env: NodeJS.ProcessEnv): FrontBouncerSecrets {
  const file = join(stackDir, 'secrets.json');
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as FrontBouncerSecrets : generateSecrets();
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  return {
    appPassword: env.APP_DB_PASSWORD || stored.appPassword,
    pgbouncerAuthPassword: env.PGBOUNCER_AUTH_PASSWORD || stored.pgbouncerAuthPassword,
    adminPassword: env.PGBOUNCER_ADMIN_PASSWORD || stored.adminPassword,
    statsPassword: env.PGBOUNCER_STATS_PASSWORD || stored.statsPassword,
  };
}

/** A stack killed with SIGKILL leaves PgBouncer and the app running: stop them first. */
function stopLeftovers(stackDir: string): void {
  const file = endpointsFile(stackDir);
  if (!existsSync(file)) return;
  const { pids } = JSON.parse(readFileSync(file, 'utf8')) as StackEndpoints;
  for (const [name, pid] of Object.entries(pids)) {
    if (!pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone
    }
    if (!/pgbouncer|cluster/.test(cmdline)) continue; // the pid was reused by something else
    say(`stopping the ${name} left running by an earlier run (pid ${pid})`);
    try {
      process.kill(name === 'app' ? -pid : pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
  rmSync(file, { force: true });
}

export async function runStack(env: NodeJS.ProcessEnv = process.env, options: { tls?: boolean } = {}): Promise<void> {
  const settings = stackSettings(env);
  const startedAt = performance.now();
  mkdirSync(settings.stackDir, { recursive: true, mode: 0o755 });
  stopLeftovers(settings.stackDir);
  try {
    await assertPortFree(settings.host, settings.port, 'the API', 'PORT');
    await assertPortFree('127.0.0.1', settings.pgbouncerPort, 'PgBouncer', 'PGBOUNCER_PORT');
    if (settings.clusterMetricsPort > 0) {
      await assertPortFree(settings.host, settings.clusterMetricsPort, "the workers' summed metrics", 'CLUSTER_METRICS_PORT (0 turns it off)');
    }
  } catch (error) {
    console.error(`[stack] ${(error as Error).message}`);
    process.exit(2);
  }
  const secrets = loadSecrets(settings.stackDir, env);
  // --tls: the given certificate, or a self-signed one for localhost kept in the stack's directory.
  let tls: { certFile: string; keyFile: string } | undefined;
  try {
    if (options.tls) {
      tls = env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE }
        : ensureSelfSignedCertificate(settings.stackDir, say);
    }
  } catch (error) {
    console.error(`[stack] ${(error as Error).message}`);
    process.exit(2);
  }

  // Everything started so far, stopped in reverse order.
  let database: LaunchedDatabase | undefined;
  let front: FrontBouncer | undefined;
  let app: AppProcess | undefined;
  let stopping = false;

  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping the app, then PgBouncer, then PostgreSQL`);
    if (app && !app.exited) {
      await app.stop(appStopTimeoutMs);
      say('app stopped');
    }
    if (front) {
      await front.bouncer.stop();
      say('PgBouncer stopped');
    }
    if (database?.postgres) {
      await database.postgres.stop();
      say('PostgreSQL stopped');
    }
    rmSync(endpointsFile(settings.stackDir), { force: true });
    say('stopped');
    process.exit(exitCode);
  };
  let firstSignalAt = 0;
  const onSignal = (signal: string) => {
    // One Ctrl-C may arrive twice (from the terminal and relayed by npm): only a later one forces.
    if (firstSignalAt > 0 && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt > 0) {
      say('second signal: killing everything now');
      if (app?.pid) try { process.kill(-app.pid, 'SIGKILL'); } catch { /* gone */ }
      if (front?.bouncer.pid) try { process.kill(front.bouncer.pid, 'SIGKILL'); } catch { /* gone */ }
      process.exit(130);
    }
    firstSignalAt = Date.now();
    void shutdown(`${signal} received`, 0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGHUP', () => onSignal('SIGHUP'));

  try {
    // 1-3. PostgreSQL, the schema (directly), PgBouncer as an unprivileged user logging to a file.
    const logFile = join(settings.stackDir, 'pgbouncer.log');
    let restarts = 0;
    database = await launchDatabase({
      postgres: settings.databaseUrl
        ? { url: settings.databaseUrl }
        : { dataDir: join(settings.stackDir, 'postgres', 'data'), port: settings.embeddedPort },
      pgbouncer: {
        port: settings.pgbouncerPort, runDir: join(settings.stackDir, 'pgbouncer'), secrets, detached: true,
        onLog: (line) => {
          appendFileSync(logFile, `${line}\n`);
          if (/ (WARNING|ERROR|FATAL) /.test(line)) console.log(`[pgbouncer] ${line.replace(/^\S+ \S+ \S+ \[\d+\] /, '')}`);
        },
        onUnexpectedExit: (code, signal) => {
          if (stopping) return;
          if (restarts >= pgbouncerRestartsMax) {
            void shutdown(`PgBouncer exited (${signal ?? `code ${code}`}) ${restarts} times`, 1);
            return;
          }
          restarts++;
          say(`PgBouncer exited (${signal ?? `code ${code}`}): restarting it; the app reconnects by itself`);
          void front?.bouncer.start().then(() => say('PgBouncer is back'), (error: Error) => void shutdown(error.message, 1));
        },
      },
      log: say,
    });
    front = database.front!;
    // A first run on a fresh database creates tenant default's all-scope key and saves it (src/auth/first-run-key.ts).
    if (!/^(0|false|no|off)$/i.test(process.env.AUTH_REQUIRED ?? '')) await ensureFirstRunKey(database.adminUrl, keyFile(settings.stackDir), say);
    const s = front.bouncer.settings;
    say(`PgBouncer: 127.0.0.1:${settings.pgbouncerPort} (pid ${front.bouncer.pid}), pool_mode=${s.pool_mode}, ` +
      `default_pool_size=${s.default_pool_size}, max_db_connections=${s.max_db_connections}, max_client_conn=${s.max_client_conn}; log: ${logFile}`);

    // 4. The app: WEB_CONCURRENCY workers on one port, as wallet_app through PgBouncer. Its pino
    // JSON lines are shown by pino-pretty, one line each (an error keeps its stack below it).
    const pretty = prettyFactory({ colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true });
    app = await startAppProcess({
      entry: 'cluster', host: settings.host, port: settings.port, detached: true, startTimeoutMs: appStartTimeoutMs,
      tlsCa: tls && readFileSync(tls.certFile, 'utf8'),
      env: {
        ...env,
        ...(tls ? { TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile } : {}),
        DATABASE_URL: front.appUrl,
        MIGRATE_ON_START: 'false',
        WEB_CONCURRENCY: String(settings.webConcurrency),
        CLUSTER_METRICS_PORT: String(settings.clusterMetricsPort),
        LOG_LEVEL: settings.logLevel,
      },
      output: { lines: (line) => process.stdout.write(`[app] ${pretty(line)}`) },
    });
    const started = app;
    void started.exit.then(() => {
      if (!stopping) void shutdown(`the app exited (${started.child.signalCode ?? `code ${started.child.exitCode}`})`, 1);
    });
    const shown = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host;
    const apiUrl = `${tls ? 'https' : 'http'}://${shown}:${settings.port}`;
    // curl trusts the self-signed certificate by name only, never through the system's store.
    const curl = tls ? `curl --cacert ${tls.certFile}` : 'curl';

    const endpoints: StackEndpoints = {
      apiUrl,
      pgbouncerConsoleUrl: front.bouncer.consoleUrl('stats'),
      postgresUrl: database.adminUrl,
      pids: { app: app.pid, pgbouncer: front.bouncer.pid },
    };
    writeFileSync(endpointsFile(settings.stackDir), JSON.stringify(endpoints, null, 2), { mode: 0o600 });
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    console.log([
      '',
      `[stack] ready in ${seconds} s: ${settings.webConcurrency} app worker(s) on ${apiUrl} → PgBouncer :${settings.pgbouncerPort} → PostgreSQL`,
      `[stack]   ${curl} -s -X POST ${apiUrl}/api/v1/wallets/ -H "Authorization: Bearer $(cat ${keyFile(settings.stackDir)})"`,
      `[stack]   ${curl} -s -X POST ${apiUrl}/api/v1/wallets/<id>/operation -H "Authorization: Bearer $(cat ${keyFile(settings.stackDir)})" -H 'content-type: application/json' -d '{"operation_type":"DEPOSIT","amount":"10.00"}'`,
      `[stack]   docs ${apiUrl}/docs · pools: npm run pools · stop: Ctrl-C`,
      '',
    ].join('\n'));
  } catch (error) {
    console.error(`[stack] failed: ${(error as Error)?.message ?? String(error)}`);
    await shutdown('start-up failed', 1);
  }
}
