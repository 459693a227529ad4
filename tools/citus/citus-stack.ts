/**
 * The Citus stack (`npm run stack -- --citus`):
 *   coordinator + CITUS_WORKERS workers (Debian PostgreSQL 15 + Citus, tools/citus/citus-cluster.ts)
 *        ↑ Liquibase, directly to the coordinator (db/changelog/changes/050: the tables are distributed)
 *   PgBouncer (transaction pooling, wallet_app through auth_query) → the coordinator
 *        ↑
 *   WEB_CONCURRENCY app workers on PORT
 * Writes STACK_CITUS_DIR/citus-stack.json ({app_url, database_url, nodes: [{name, role, host,
 * port, data_dir}]}, plus the pids a killed run leaves behind). Ctrl-C stops the app, PgBouncer,
 * the workers, then the coordinator. Ports: CITUS_PORT_BASE (the coordinator; workers follow),
 * PGBOUNCER_PORT, PORT.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureFirstRunKey } from '../../src/auth/first-run-key.js';
import { HOST_DEFAULT } from '../../src/config/config.js';
import { migrate, projectRoot } from '../../src/db/migrations.js';
import { assertPortFree } from '../../src/lib/free-port.js';
import { type FrontBouncer, type FrontBouncerSecrets, generateSecrets, startFrontBouncer } from '../pgbouncer/front-bouncer.js';
import { type AppProcess, startAppProcess } from '../stack/app-process.js';
import { CitusCluster, type CitusNodeInfo } from './citus-cluster.js';

const say = (message: string) => console.log(`[citus-stack] ${message}`);
const appStartTimeoutMs = 60_000;
const appStopTimeoutMs = 45_000;

/** `.data/citus/citus-stack.json`: what `npm run pools -- --citus` and an operator need. Mode 0600. */
export interface CitusStackFile {
  app_url: string;
  /** What the app uses: wallet_app through PgBouncer to the coordinator. */
  database_url: string;
  nodes: CitusNodeInfo[];
  pgbouncer_console_url: string;
  pids: { app?: number; pgbouncer?: number };
}

export const citusStackDir = (env: NodeJS.ProcessEnv) => resolve(projectRoot, env.STACK_CITUS_DIR || '.data/citus');
export const citusStackFile = (dir: string) => join(dir, 'citus-stack.json');
const keyFile = (dir: string) => join(dir, 'api-key');

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

function loadSecrets(dir: string): FrontBouncerSecrets {
  const file = join(dir, 'pgbouncer-secrets.json');
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as FrontBouncerSecrets : generateSecrets();
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  return stored;
}

function aliveAs(pid: number | undefined, pattern: RegExp): boolean {
  if (!pid) return false;
  try {
    return pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')); // a reused pid runs something else
  } catch {
    return false;
  }
}

/** A stack killed with SIGKILL leaves the app and PgBouncer running (its nodes are stopped on their next start). */
function stopLeftovers(dir: string): void {
  const file = citusStackFile(dir);
  if (!existsSync(file)) return;
  const { pids } = JSON.parse(readFileSync(file, 'utf8')) as Partial<CitusStackFile>;
  if (aliveAs(pids?.app, /cluster\.ts/)) {
    say(`stopping the app left running by an earlier run (pid ${pids!.app})`);
    try { process.kill(-pids!.app!, 'SIGKILL'); } catch { /* gone */ }
  }
  if (aliveAs(pids?.pgbouncer, /pgbouncer/)) {
    say(`stopping the PgBouncer left running by an earlier run (pid ${pids!.pgbouncer})`);
    try { process.kill(pids!.pgbouncer!, 'SIGKILL'); } catch { /* gone */ }
  }
  rmSync(file, { force: true });
}

export async function runCitusStack(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const startedAt = performance.now();
  const dir = citusStackDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const port = int(env, 'PORT', 8000);
  const pgbouncerPort = int(env, 'PGBOUNCER_PORT', 6432);
  const portBase = int(env, 'CITUS_PORT_BASE', 54361);
  const workers = int(env, 'CITUS_WORKERS', 2);
  const host = env.HOST || HOST_DEFAULT;
  stopLeftovers(dir);
  try {
    await assertPortFree(host, port, 'the API', 'PORT');
    await assertPortFree('127.0.0.1', pgbouncerPort, 'PgBouncer', 'PGBOUNCER_PORT');
  } catch (error) {
    console.error(`[citus-stack] ${(error as Error).message}`);
    process.exit(2);
  }
  const secrets = loadSecrets(dir);

  let cluster: CitusCluster | undefined;
  let front: FrontBouncer | undefined;
  let app: AppProcess | undefined;
  let stopping = false;
  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping the app, PgBouncer, the workers, then the coordinator`);
    if (app && !app.exited) {
      await app.stop(appStopTimeoutMs);
      say('app stopped');
    }
    if (front) {
      await front.bouncer.stop();
      say('PgBouncer stopped');
    }
    if (cluster) {
      await cluster.stop();
      say('Citus nodes stopped');
    }
    rmSync(citusStackFile(dir), { force: true });
    say('stopped');
    process.exit(exitCode);
  };
  let firstSignalAt = 0;
  const onSignal = (signal: string) => {
    // One Ctrl-C may arrive twice (from the terminal and relayed by npm): ignore the echo.
    if (firstSignalAt > 0 && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt > 0) say('second signal: still stopping in order');
    firstSignalAt = Date.now();
    void shutdown(`${signal} received`, 0);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => onSignal(s));

  try {
    const ports = Array.from({ length: workers + 1 }, (_, i) => portBase + i);
    cluster = await CitusCluster.start({ home: join(dir, 'nodes'), ports, log: say });
    const adminUrl = cluster.adminUrl;
    await migrate(adminUrl, { forceUnlock: cluster.coordinator.server.startedHere, log: (m) => say(`migrations: ${m}`) });
    const authRequired = !/^(0|false|no|off)$/i.test(env.AUTH_REQUIRED ?? '');
    if (authRequired) await ensureFirstRunKey(adminUrl, keyFile(dir), say);

    const logFile = join(dir, 'pgbouncer.log');
    front = await startFrontBouncer({
      adminUrl, listenPort: pgbouncerPort, runDir: join(dir, 'pgbouncer'), secrets, detached: true,
      onLog: (line) => {
        appendFileSync(logFile, `${line}\n`);
        if (/ (ERROR|FATAL) /.test(line)) console.log(`[pgbouncer] ${line.replace(/^\S+ \S+ \S+ \[\d+\] /, '')}`);
      },
      onUnexpectedExit: (code, signal) => { if (!stopping) void shutdown(`PgBouncer exited (${signal ?? `code ${code}`})`, 1); },
    });
    // wallet_app's sessions on the coordinator open connections to the workers as wallet_app.
    await cluster.setRolePassword('wallet_app', secrets.appPassword);
    say(`PgBouncer: 127.0.0.1:${pgbouncerPort} → coordinator :${cluster.coordinator.port}; log: ${logFile}`);

    const launched = await startAppProcess({
      entry: 'cluster', host, port, detached: true, startTimeoutMs: appStartTimeoutMs,
      env: {
        ...env, DATABASE_URL: front.appUrl, MIGRATE_ON_START: 'false',
        WEB_CONCURRENCY: env.WEB_CONCURRENCY || '2', LOG_LEVEL: env.LOG_LEVEL || 'info',
      },
      output: { lines: (line) => console.log(`[app] ${line}`) },
    });
    app = launched;
    void launched.exit.then(() => {
      if (!stopping) void shutdown(`the app exited (${launched.child.signalCode ?? `code ${launched.child.exitCode}`})`, 1);
    });

    const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    const file: CitusStackFile = {
      app_url: `http://${shown}:${port}`,
      database_url: front.appUrl,
      nodes: cluster.info(),
      pgbouncer_console_url: front.bouncer.consoleUrl('stats'),
      pids: { app: launched.pid, pgbouncer: front.bouncer.pid },
    };
    writeFileSync(citusStackFile(dir), JSON.stringify(file, null, 2), { mode: 0o600 });
    console.log([
      '',
      `[citus-stack] ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s: app on ${file.app_url} → PgBouncer :${pgbouncerPort} → coordinator :${cluster.coordinator.port}`,
      ...cluster.info().map((n) => `[citus-stack]   ${n.name} ${n.role} ${n.host}:${n.port} ${n.data_dir}`),
      ...(authRequired ? [`[citus-stack]   curl -s -X POST ${file.app_url}/api/v1/wallets/ -H "Authorization: Bearer $(cat ${keyFile(dir)})"`] : []),
      `[citus-stack]   ${citusStackFile(dir)} · npm run pools -- --citus · Ctrl-C stops`,
      '',
    ].join('\n'));
  } catch (error) {
    console.error(`[citus-stack] failed: ${(error as Error)?.message ?? String(error)}`);
    await shutdown('start-up failed', 1);
  }
}
