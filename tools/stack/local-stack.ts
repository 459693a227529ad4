/**
 * `npm run stack`: the production topology on one machine, without Docker.
 *   PostgreSQL (embedded, or DATABASE_URL) ← Liquibase, directly
 *        ↑
 *   PgBouncer (local binary, transaction pooling, docker/pgbouncer/pgbouncer.ini, unprivileged user)
 *        ↑
 *   WEB_CONCURRENCY app workers on one port (src/cluster.ts), as wallet_app
 * Secrets are generated on first run (or taken from the environment) and kept in STACK_DIR with
 * mode 0600. Ctrl-C stops the app first (it drains), then PgBouncer, then PostgreSQL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate, projectRoot } from '../../src/db/migrations.js';
import { type FrontBouncer, type FrontBouncerSecrets, generateSecrets, startFrontBouncer } from '../pgbouncer/front-bouncer.js';
import { formatLogLine } from './log-format.js';

export interface StackSettings {
  stackDir: string;
  /** Direct PostgreSQL URL of a role that may migrate and ALTER ROLE; empty: embedded. */
  databaseUrl: string | undefined;
  embeddedPort: number;
  host: string;
  port: number;
  pgbouncerPort: number;
  webConcurrency: number;
  logLevel: string;
}

export function stackSettings(env: NodeJS.ProcessEnv): StackSettings {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number (got ${JSON.stringify(raw)})`);
    return Number(raw);
  };
  return {
    stackDir: resolve(projectRoot, env.STACK_DIR || '.data/stack'),
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedPort: int('STACK_PG_PORT', 54339),
    host: env.HOST || '0.0.0.0',
    port: int('PORT', 8000),
    pgbouncerPort: int('PGBOUNCER_PORT', 6432),
    webConcurrency: int('WEB_CONCURRENCY', 2),
    logLevel: env.LOG_LEVEL || 'info',
  };
}

/** What `npm run pools` reads to find the running stack. Mode 0600: it holds the console password. */
export interface StackEndpoints {
  apiUrl: string;
  pgbouncerConsoleUrl: string;
  postgresUrl: string;
  pids: { app?: number; pgbouncer?: number };
}

export const endpointsFile = (stackDir: string) => join(stackDir, 'stack.json');

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

async function assertPortFree(host: string, port: number, what: string, variable: string): Promise<void> {
  await new Promise<void>((resolvePort, reject) => {
    const server = createServer();
    server.once('error', () => reject(new Error(`port ${port} (${what}) is already in use: stop what uses it or set ${variable}`)));
    server.listen(port, host, () => server.close(() => resolvePort()));
  });
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

async function waitForReady(url: string, app: ChildProcess): Promise<void> {
  const deadline = Date.now() + appStartTimeoutMs;
  for (;;) {
    if (app.exitCode !== null || app.signalCode !== null) throw new Error('the app exited during start-up (see its output above)');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`the app did not answer ${url} within ${appStartTimeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function runStack(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const settings = stackSettings(env);
  const startedAt = performance.now();
  mkdirSync(settings.stackDir, { recursive: true, mode: 0o755 });
  stopLeftovers(settings.stackDir);
  await assertPortFree(settings.host, settings.port, 'the API', 'PORT');
  await assertPortFree('127.0.0.1', settings.pgbouncerPort, 'PgBouncer', 'PGBOUNCER_PORT');
  const secrets = loadSecrets(settings.stackDir, env);

  // Everything started so far, stopped in reverse order.
  let postgresStop: () => Promise<void> = async () => {};
  let front: FrontBouncer | undefined;
  let app: ChildProcess | undefined;
  let appExited: Promise<void> = Promise.resolve();
  let stopping = false;

  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping the app, then PgBouncer, then PostgreSQL`);
    if (app?.pid && app.exitCode === null && app.signalCode === null) {
      process.kill(-app.pid, 'SIGTERM');
      const timer = setTimeout(() => { if (app?.pid) process.kill(-app.pid, 'SIGKILL'); }, appStopTimeoutMs);
      await appExited;
      clearTimeout(timer);
      say('app stopped');
    }
    if (front) {
      await front.bouncer.stop();
      say('PgBouncer stopped');
    }
    await postgresStop();
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
    // 1. PostgreSQL.
    let adminUrl: string;
    if (settings.databaseUrl) {
      adminUrl = settings.databaseUrl;
      const u = new URL(adminUrl);
      say(`PostgreSQL: ${u.hostname}:${u.port || 5432}/${u.pathname.slice(1)} (DATABASE_URL)`);
    } else {
      const embedded = await startEmbeddedPostgres({
        dataDir: join(settings.stackDir, 'postgres', 'data'), port: settings.embeddedPort,
        log: (m) => say(`PostgreSQL: ${m}`),
      });
      postgresStop = async () => { await embedded.stop(); say('PostgreSQL stopped'); };
      adminUrl = embedded.url;
    }

    // 2. Schema, directly against PostgreSQL (never through PgBouncer).
    await migrate(adminUrl, { forceUnlock: !settings.databaseUrl, log: (m) => say(`migrations: ${m}`) });

    // 3. PgBouncer, as an unprivileged user, logging to a file (warnings also here).
    const logFile = join(settings.stackDir, 'pgbouncer.log');
    let restarts = 0;
    front = await startFrontBouncer({
      adminUrl, listenPort: settings.pgbouncerPort, runDir: join(settings.stackDir, 'pgbouncer'), secrets,
      detached: true,
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
    });
    const s = front.bouncer.settings;
    say(`PgBouncer: 127.0.0.1:${settings.pgbouncerPort} (pid ${front.bouncer.pid}), pool_mode=${s.pool_mode}, ` +
      `default_pool_size=${s.default_pool_size}, max_db_connections=${s.max_db_connections}, max_client_conn=${s.max_client_conn}; log: ${logFile}`);

    // 4. The app: WEB_CONCURRENCY workers on one port, as wallet_app through PgBouncer.
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'cluster.ts')], {
      cwd: projectRoot,
      detached: true, // our Ctrl-C is not theirs: we stop them in order
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        DATABASE_URL: front.appUrl,
        MIGRATE_ON_START: 'false',
        HOST: settings.host,
        PORT: String(settings.port),
        WEB_CONCURRENCY: String(settings.webConcurrency),
        LOG_LEVEL: settings.logLevel,
      },
    });
    app = child;
    appExited = new Promise((r) => child.once('exit', () => r()));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => console.log(`[app] ${formatLogLine(line)}`));
    }
    child.once('exit', (code, signal) => {
      if (!stopping) void shutdown(`the app exited (${signal ?? `code ${code}`})`, 1);
    });
    const shown = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host;
    const apiUrl = `http://${shown}:${settings.port}`;
    await waitForReady(`http://127.0.0.1:${settings.port}/health`, child);

    const endpoints: StackEndpoints = {
      apiUrl,
      pgbouncerConsoleUrl: front.bouncer.consoleUrl('stats'),
      postgresUrl: adminUrl,
      pids: { app: child.pid, pgbouncer: front.bouncer.pid },
    };
    writeFileSync(endpointsFile(settings.stackDir), JSON.stringify(endpoints, null, 2), { mode: 0o600 });
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    console.log([
      '',
      `[stack] ready in ${seconds} s: ${settings.webConcurrency} app worker(s) on ${apiUrl} → PgBouncer :${settings.pgbouncerPort} → PostgreSQL`,
      `[stack]   curl -s -X POST ${apiUrl}/api/v1/wallets/`,
      `[stack]   curl -s -X POST ${apiUrl}/api/v1/wallets/<id>/operation -H 'content-type: application/json' -d '{"operation_type":"DEPOSIT","amount":"10.00"}'`,
      `[stack]   docs ${apiUrl}/docs · pools: npm run pools · stop: Ctrl-C`,
      '',
    ].join('\n'));
  } catch (error) {
    console.error(`[stack] failed: ${(error as Error)?.message ?? String(error)}`);
    await shutdown('start-up failed', 1);
  }
}
