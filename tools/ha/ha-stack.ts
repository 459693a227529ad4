/**
 * The HA stack (`npm run stack -- --ha`, or `tsx tools/ha/ha-stack.ts`):
 *   etcd ← 3 × Patroni + PostgreSQL 15 (synchronous_mode_strict) ← HAProxy (:primary, Patroni /primary check)
 *        ↑ Liquibase, through HAProxy (always the primary)
 *   PgBouncer (transaction pooling) → HAProxy: one pool, one place where the primary is chosen
 *        ↑
 *   WEB_CONCURRENCY app workers on PORT
 * PgBouncer sits in front of HAProxy (app → PgBouncer → HAProxy → primary): when HAProxy cuts the
 * old primary's sessions, PgBouncer's next server login lands on the new primary
 * (server_login_retry 1 s). The alternative (a PgBouncer per node behind HAProxy) needs three
 * more processes and still needs HAProxy to choose.
 * Writes STACK_HA_DIR/ha-stack.json (nodes, ports, data dirs, Patroni configs). Ctrl-C stops the
 * app, PgBouncer, HAProxy, the Patroni nodes (replicas first), then etcd.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureFirstRunKey } from '../../src/auth/first-run-key.js';
import { HOST_DEFAULT } from '../../src/config/config.js';
import { migrate, projectRoot } from '../../src/db/migrations.js';
import { type AppProcess, startAppProcess } from '../stack/app-process.js';
import { type FrontBouncer, type FrontBouncerSecrets, generateSecrets, startFrontBouncer } from '../pgbouncer/front-bouncer.js';
import { generatePassword } from '../roles/scram.js';
import { HaCluster, type HaClusterInfo } from './ha-cluster.js';
import type { HaPorts, HaSecrets } from './ha-config.js';
import { ensureStanza } from './pgbackrest.js';

const say = (message: string) => console.log(`[ha-stack] ${message}`);
const appStartTimeoutMs = 60_000;
const appStopTimeoutMs = 45_000;
const leftoverStopTimeoutMs = 30_000;

export interface HaStackFile {
  apiUrl: string;
  pgbouncer: { port: number; pid?: number; consoleUrl: string };
  app: { pid?: number; port: number };
  cluster: HaClusterInfo;
  /** Where the superuser password is kept (mode 0600). */
  secretsFile: string;
}

export const haStackDir = (env: NodeJS.ProcessEnv) => resolve(projectRoot, env.STACK_HA_DIR || '.data/ha');
export const haStackFile = (dir: string) => join(dir, 'ha-stack.json');
export const haSecretsFile = (dir: string) => join(dir, 'secrets.json');
const haKeyFile = (dir: string) => join(dir, 'api-key');

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

export function haPorts(env: NodeJS.ProcessEnv): HaPorts {
  const pgBase = int(env, 'HA_PG_PORT_BASE', 54341);
  const restBase = int(env, 'HA_REST_PORT_BASE', 8008);
  return {
    etcdClient: int(env, 'HA_ETCD_PORT', 23790),
    etcdPeer: int(env, 'HA_ETCD_PEER_PORT', 23800),
    haproxyPrimary: int(env, 'HA_HAPROXY_PORT', 54340),
    haproxyStats: int(env, 'HA_HAPROXY_STATS_PORT', 54350),
    nodes: [0, 1, 2].map((i) => ({ pgPort: pgBase + i, restPort: restBase + i })),
  };
}

type StoredSecrets = HaSecrets & FrontBouncerSecrets;

export function loadHaSecrets(dir: string): StoredSecrets {
  const file = haSecretsFile(dir);
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets : {
    superuserPassword: generatePassword(), replicationPassword: generatePassword(), rewindPassword: generatePassword(),
    ...generateSecrets(),
  };
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  return stored;
}

function aliveAs(pid: number | undefined, pattern: RegExp): boolean {
  if (!pid) return false;
  try {
    return pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')); // a reused pid runs something else
  } catch {
    return false; // gone
  }
}

/**
 * A stack killed with SIGKILL leaves its processes running: stop them as Ctrl-C would (the app,
 * PgBouncer, HAProxy, Patroni, which stops its PostgreSQL, then etcd) before starting again.
 */
async function stopLeftovers(dir: string): Promise<void> {
  const file = haStackFile(dir);
  if (!existsSync(file)) return;
  const left = JSON.parse(readFileSync(file, 'utf8')) as Partial<HaStackFile>;
  const steps: Array<{ what: string; pids: Array<number | undefined>; pattern: RegExp }> = [
    { what: 'app', pids: [left.app?.pid], pattern: /cluster\.ts/ },
    { what: 'PgBouncer', pids: [left.pgbouncer?.pid], pattern: /pgbouncer/ },
    { what: 'HAProxy', pids: [left.cluster?.haproxy.pid], pattern: /haproxy/ },
    { what: 'Patroni', pids: left.cluster?.nodes.map((n) => n.pid) ?? [], pattern: /patroni/ },
    { what: 'etcd', pids: [left.cluster?.etcd.pid], pattern: /etcd/ },
  ];
  for (const step of steps) {
    const pids = step.pids.filter((pid) => aliveAs(pid, step.pattern)) as number[];
    if (pids.length === 0) continue;
    say(`stopping the ${step.what} left running by an earlier run (pid ${pids.join(', ')})`);
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + leftoverStopTimeoutMs;
    while (pids.some((pid) => aliveAs(pid, step.pattern)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (const pid of pids.filter((p) => aliveAs(p, step.pattern))) process.kill(pid, 'SIGKILL');
  }
  rmSync(file, { force: true });
}

export async function runHaStack(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const started = performance.now();
  const dir = haStackDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const port = int(env, 'PORT', 8000);
  const pgbouncerPort = int(env, 'PGBOUNCER_PORT', 6432);
  const host = env.HOST || HOST_DEFAULT;
  const secrets = loadHaSecrets(dir);
  await stopLeftovers(dir);

  let cluster: HaCluster | undefined;
  let front: FrontBouncer | undefined;
  let app: AppProcess | undefined;
  let stopping = false;

  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping the app, PgBouncer, HAProxy, the Patroni nodes, then etcd`);
    if (app && !app.exited) {
      await app.stop(appStopTimeoutMs); // SIGTERM to the cluster primary (it drains its workers), SIGKILL late
      say('app stopped');
    }
    if (front) {
      await front.bouncer.stop();
      say('PgBouncer stopped');
    }
    await cluster?.stop();
    rmSync(haStackFile(dir), { force: true });
    say('stopped');
    process.exit(exitCode);
  };
  let firstSignalAt = 0;
  const onSignal = (signal: string) => {
    // One Ctrl-C may arrive twice (from the terminal and relayed by npm): ignore the echo.
    if (firstSignalAt > 0 && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt > 0) say('second signal: still stopping in order (Patroni must stop its PostgreSQL)');
    firstSignalAt = Date.now();
    void shutdown(`${signal} received`, 0);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => onSignal(s));

  try {
    cluster = await HaCluster.start({ home: join(dir, 'cluster'), ports: haPorts(env), secrets, log: (m) => say(m) });
    const adminUrl = cluster.primaryUrl();
    // Written now (and completed below) so that a run killed during start-up can be cleaned up.
    writeFileSync(haStackFile(dir), JSON.stringify({ cluster: cluster.info(), secretsFile: haSecretsFile(dir) }, null, 2), { mode: 0o600 });
    await ensureStanza(cluster.info(), cluster.superuserPassword, (m) => say(`pgBackRest: ${m}`));
    await migrate(adminUrl, { forceUnlock: false, log: (m) => say(`migrations: ${m}`) });
    // A fresh cluster gets tenant default's all-scope key, as `npm run stack` does (src/auth/first-run-key.ts).
    const authRequired = !/^(0|false|no|off)$/i.test(env.AUTH_REQUIRED ?? '');
    if (authRequired) await ensureFirstRunKey(adminUrl, haKeyFile(dir), say);

    const logFile = join(dir, 'pgbouncer.log');
    front = await startFrontBouncer({
      adminUrl, listenPort: pgbouncerPort, runDir: join(dir, 'pgbouncer'), secrets, detached: true,
      onLog: (line) => {
        appendFileSync(logFile, `${line}\n`);
        if (/ (ERROR|FATAL) /.test(line)) console.log(`[pgbouncer] ${line.replace(/^\S+ \S+ \S+ \[\d+\] /, '')}`);
      },
      onUnexpectedExit: (code, signal) => { if (!stopping) void shutdown(`PgBouncer exited (${signal ?? `code ${code}`})`, 1); },
    });
    say(`PgBouncer: 127.0.0.1:${pgbouncerPort} → HAProxy :${cluster.layout.ports.haproxyPrimary}; log: ${logFile}`);

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
    const file: HaStackFile = {
      apiUrl: `http://${shown}:${port}`,
      pgbouncer: { port: pgbouncerPort, pid: front.bouncer.pid, consoleUrl: front.bouncer.consoleUrl('stats') },
      app: { pid: launched.pid, port },
      cluster: cluster.info(),
      secretsFile: haSecretsFile(dir),
    };
    writeFileSync(haStackFile(dir), JSON.stringify(file, null, 2), { mode: 0o600 });
    const members = await cluster.members();
    console.log([
      '',
      `[ha-stack] ready in ${((performance.now() - started) / 1000).toFixed(1)} s: app on ${file.apiUrl} → PgBouncer :${pgbouncerPort} → HAProxy :${cluster.layout.ports.haproxyPrimary} → primary`,
      ...members.map((m) => `[ha-stack]   ${m.name} ${m.role} ${m.state} 127.0.0.1:${m.port}`),
      ...(authRequired ? [`[ha-stack]   curl -s -X POST ${file.apiUrl}/api/v1/wallets/ -H "Authorization: Bearer $(cat ${haKeyFile(dir)})"`] : []),
      `[ha-stack]   ${haStackFile(dir)} · npm run pools -- --ha · patronictl -c ${cluster.info().nodes[0]!.patroniConfig} list · Ctrl-C stops`,
      '',
    ].join('\n'));
  } catch (error) {
    console.error(`[ha-stack] failed: ${(error as Error)?.message ?? String(error)}`);
    await shutdown('start-up failed', 1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runHaStack(process.env);
