/**
 * Starts the service the way `npm start` does, in a temporary directory on free ports, and
 * stops everything afterwards: either on its own embedded PostgreSQL (the default), or (via
 * PgBouncer) on an embedded PostgreSQL the harness starts and migrates, behind the local
 * PgBouncer of src/topology (transaction mode, wallet_app via auth_query), as in production.
 *
 * The child is `node --import tsx src/server.ts` rather than the `tsx` launcher, so that its pid
 * is the server's own (the launcher would put a second node process in between) for memory sampling.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate } from '../../src/db/migrations.js';
import { generateSecrets, startFrontBouncer } from '../../tools/pgbouncer/front-bouncer.js';
import { freePort } from '../../src/lib/free-port.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const startBoundMs = 180_000;
const stopBoundMs = 30_000;

export interface LocalService {
  baseUrl: string;
  /** PostgreSQL itself, as its superuser (checks, pgbench). */
  databaseUrl: string;
  pid: number;
  /** The service's last log lines (its stdout and stderr), for a failure report. */
  logTail(): string;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) resolvePromise();
    else child.once('exit', () => resolvePromise());
  });
}

/** A postmaster left by a server that had to be killed: stop it with pg_ctl as the postgres user. */
async function stopOrphanPostgres(dataDir: string): Promise<void> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  try {
    const bin = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string };
    const asRoot = process.getuid?.() === 0;
    const args = ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'];
    execFileSync(asRoot ? 'runuser' : bin.pg_ctl, asRoot ? ['-u', 'postgres', '--', bin.pg_ctl, ...args] : args,
      { stdio: 'ignore', timeout: 40_000 });
  } catch {
    // Best effort: the caller removes the directory next.
  }
}

/** Spawns the server and waits for /health. stop() sends SIGTERM, then SIGKILL after stopBoundMs. */
async function spawnServer(home: string, env: Record<string, string>, log: Log, nodeArgs: string[], onCleanup: StartOptions['onCleanup']): Promise<{ baseUrl: string; pid: number; logTail(): string; stop(): Promise<void> }> {
  const port = await freePort();
  const logFile = join(home, 'service.log');
  // Output goes straight to a file: the server must not depend on the harness reading a pipe.
  const logFd = openSync(logFile, 'a');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env };
  if (env.DATABASE_URL === undefined) {
    delete childEnv.DATABASE_URL;
    delete childEnv.MIGRATION_DATABASE_URL;
  }
  // Same process group: a terminal's Ctrl-C reaches the server too, which then stops its own
  // PostgreSQL; the harness's handler stops it as well when the signal comes from elsewhere.
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/server.ts'],
    { cwd: projectRoot, env: childEnv, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), stopBoundMs);
      await exited(child);
      clearTimeout(killTimer);
    }
  };
  onCleanup(stop);
  log(`starting the service on ${baseUrl}`);
  const deadline = Date.now() + startBoundMs;
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.signalCode ?? `code ${child.exitCode}`;
      throw new Error(`the service exited during start-up (${how}):\n${tail(logFile, 20)}`);
    }
    const up = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (up) {
      child.once('exit', (code, signal) => log(`the service exited (${signal ?? `code ${code}`})`));
      return { baseUrl, pid: child.pid ?? 0, logTail: () => tail(logFile, 30), stop };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the service did not answer /health within ${startBoundMs} ms:\n${tail(logFile, 20)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function temporaryHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'wallet-bench-'));
  // The embedded PostgreSQL (and PgBouncer) run as the postgres user when we are root.
  chmodSync(home, 0o755);
  return home;
}

/** The default target: the service starts its own embedded PostgreSQL in a temporary directory. */
export interface StartOptions {
  log: Log;
  /** Registers what must be undone if the harness is interrupted before stop() is returned. */
  onCleanup: (cleanup: () => Promise<void>) => void;
  /** Extra node options for the service, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

export async function startLocalService(options: StartOptions): Promise<LocalService> {
  const home = temporaryHome();
  const dataDir = join(home, 'postgres');
  const pgPort = await freePort();
  options.log(`embedded PostgreSQL for the service on port ${pgPort}, data in ${dataDir}`);
  const cleanUp = async () => {
    await stopOrphanPostgres(dataDir);
    rmSync(home, { recursive: true, force: true });
  };
  options.onCleanup(cleanUp);
  let server;
  try {
    server = await spawnServer(home, { EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) }, options.log, options.nodeArgs ?? [], options.onCleanup);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const { user, password } = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as { user: string; password: string };
  return {
    baseUrl: server.baseUrl,
    databaseUrl: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/postgres`,
    pid: server.pid,
    logTail: server.logTail,
    async stop() {
      await server.stop();
      await cleanUp();
    },
  };
}

/** --via-pgbouncer: embedded PostgreSQL + migrations + PgBouncer (src/topology), then the service on PgBouncer. */
export async function startServiceViaPgbouncer(options: StartOptions): Promise<LocalService> {
  const home = temporaryHome();
  const stops: Array<() => Promise<void>> = [async () => rmSync(home, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => options.log(`clean-up: ${String(error)}`));
  };
  options.onCleanup(stopAll);
  try {
    const postgres = await startEmbeddedPostgres({ dataDir: join(home, 'postgres'), port: await freePort(), log: options.log });
    stops.push(() => postgres.stop());
    await migrate(postgres.url, { forceUnlock: true, log: options.log });
    const front = await startFrontBouncer({
      adminUrl: postgres.url, listenPort: await freePort(), runDir: join(home, 'pgbouncer'), secrets: generateSecrets(),
      detached: true, settings: { log_connections: 0, log_disconnections: 0 },
    });
    stops.push(() => front.bouncer.stop());
    options.log(`PgBouncer on port ${front.bouncer.port} in front of PostgreSQL (transaction mode)`);
    const server = await spawnServer(home, { DATABASE_URL: front.appUrl, MIGRATE_ON_START: 'false' }, options.log, options.nodeArgs ?? [], options.onCleanup);
    stops.push(() => server.stop());
    return { baseUrl: server.baseUrl, databaseUrl: postgres.url, pid: server.pid, logTail: server.logTail, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
