/**
 * Runs a real PgBouncer (the local binary) in front of PostgreSQL, configured from the committed
 * docker/pgbouncer/pgbouncer.ini. Used by `npm run stack` and by the tests (the suite through
 * PgBouncer, the pool stress and restart tests), so all of them exercise the production settings.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { type DatabaseEntry, type IniSettings, readPgBouncerSettings, renderIni, userlistLine } from './pgbouncer-ini.js';
import { canReach, relocatedPath, type ServerUser, serverUser } from '../../src/db/server-user.js';
import { waitFor } from '../../src/lib/wait-for.js';
import { isScramSafe, scramSecret } from '../roles/scram.js';

export const consoleUsers = { admin: 'pgbouncer_admin', stats: 'pgbouncer_stats' } as const;

export interface PgBouncerOptions {
  /** PostgreSQL as PgBouncer reaches it (direct). */
  server: { host: string; port: number; dbname: string };
  /** The database name clients ask for. */
  databaseAlias?: string;
  listenHost?: string;
  listenPort: number;
  /** Holds the generated ini and auth_file (mode 0700, owned by the user PgBouncer runs as). */
  runDir: string;
  /** auth_user: the role allowed to call pgbouncer.get_auth(); PgBouncer must know its password. */
  authUser: { name: string; password: string };
  consolePasswords: { admin: string; stats: string };
  /** Overrides of the committed settings (tests shrink pools, the stack keeps them). */
  settings?: Record<string, string | number>;
  /** In its own process group, so a terminal's Ctrl-C reaches only our parent, which stops us in order. */
  detached?: boolean;
  /** Each line PgBouncer logs. */
  onLog?: (line: string) => void;
  /** PgBouncer exited without stop() or kill() being called. */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/** Bound on start-up: PgBouncer listens within milliseconds when its config is valid. */
const startTimeoutMs = 15_000;
const stopTimeoutMs = 15_000;
const logLinesKept = 200;

export function findPgBouncerBinary(): string {
  const candidates = [
    process.env.PGBOUNCER_BIN,
    '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer', '/opt/homebrew/bin/pgbouncer',
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'pgbouncer')),
  ].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* next */ }
  }
  throw new Error('PgBouncer was not found. Install it (Debian/Ubuntu: `apt-get install -y pgbouncer`; ' +
    'macOS: `brew install pgbouncer`) or set PGBOUNCER_BIN to its path.');
}

export function pgBouncerAvailable(): boolean {
  try {
    findPgBouncerBinary();
    return true;
  } catch {
    return false;
  }
}

/** auth_file secret: SCRAM where PgBouncer can verify with it; the auth_user needs plaintext. */
function consoleSecret(password: string): string {
  return isScramSafe(password) ? scramSecret(password) : password;
}

export class PgBouncer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private readonly logLines: string[] = [];
  private readonly runAsPromise: Promise<ServerUser | undefined>;
  readonly host: string;
  readonly port: number;
  readonly databaseAlias: string;
  readonly settings: IniSettings;

  constructor(private readonly options: PgBouncerOptions) {
    this.host = options.listenHost ?? '127.0.0.1';
    this.port = options.listenPort;
    this.databaseAlias = options.databaseAlias ?? 'wallet';
    this.runAsPromise = serverUser();
    const runDir = resolve(options.runDir);
    this.settings = {
      ...readPgBouncerSettings(),
      listen_addr: this.host,
      listen_port: String(this.port),
      unix_socket_dir: '',
      auth_file: join(runDir, 'userlist.txt'),
      auth_user: options.authUser.name,
      logfile: '',
      pidfile: '',
      ...Object.fromEntries(Object.entries(options.settings ?? {}).map(([k, v]) => [k, String(v)])),
    };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Client URL through PgBouncer. */
  url(user: string, password: string, database = this.databaseAlias): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${this.host}:${this.port}/${database}`;
  }

  /** The admin console (SHOW ...): `stats` may only look, `admin` may also PAUSE/RESUME/SHUTDOWN. */
  consoleUrl(role: keyof typeof consoleUsers = 'stats'): string {
    return this.url(consoleUsers[role], this.options.consolePasswords[role], 'pgbouncer');
  }

  logTail(lines = 20): string {
    return this.logLines.slice(-lines).join('\n');
  }

  /**
   * The run directory as the server user can reach it: the one asked for, or (as root, with the
   * project in a private directory) one of ours under the server files directory.
   */
  private async runDir(): Promise<string> {
    const wanted = resolve(this.options.runDir);
    mkdirSync(dirname(wanted), { recursive: true });
    return (await canReach(await this.runAsPromise, dirname(wanted))) ? wanted : relocatedPath(wanted, 'pgbouncer');
  }

  private async writeFiles(): Promise<string> {
    const runAs = await this.runAsPromise;
    const runDir = await this.runDir();
    this.settings.auth_file = join(runDir, 'userlist.txt');
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const database: DatabaseEntry = { alias: this.databaseAlias, ...this.options.server };
    const iniPath = join(runDir, 'pgbouncer.ini');
    const userlistPath = this.settings.auth_file!;
    writeFileSync(iniPath, renderIni([database], this.settings), { mode: 0o600 });
    writeFileSync(userlistPath, [
      userlistLine(this.options.authUser.name, this.options.authUser.password),
      userlistLine(consoleUsers.admin, consoleSecret(this.options.consolePasswords.admin)),
      userlistLine(consoleUsers.stats, consoleSecret(this.options.consolePasswords.stats)),
    ].join('\n') + '\n', { mode: 0o600 });
    chmodSync(runDir, 0o700);
    if (runAs) {
      for (const path of [runDir, iniPath, userlistPath]) chownSync(path, runAs.uid, runAs.gid);
    }
    return iniPath;
  }

  private record(chunk: Buffer): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      this.logLines.push(line);
      if (this.logLines.length > logLinesKept) this.logLines.shift();
      this.options.onLog?.(line);
    }
  }

  /** Starts PgBouncer and resolves once its console answers; rejects with its log otherwise. */
  async start(): Promise<void> {
    if (this.running) return;
    const binary = findPgBouncerBinary();
    const iniPath = await this.writeFiles();
    const runAs = await this.runAsPromise;
    this.expectingExit = false;
    const child = spawn(binary, [iniPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.options.detached ?? false,
      ...(runAs ?? {}),
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.record(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.record(chunk));
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        if (!this.expectingExit) this.options.onUnexpectedExit?.(code, signal);
        resolveExit();
      });
      child.once('error', (error) => {
        this.record(Buffer.from(`spawn failed: ${error.message}`));
        resolveExit();
      });
    });
    try {
      await waitFor(async () => ((await this.consoleAnswers()) ? true : undefined), {
        what: `PgBouncer on ${this.host}:${this.port}`, timeoutMs: startTimeoutMs, intervalMs: 50,
        failFast: () => (this.running ? undefined : 'exited during start-up'),
        detail: () => this.logTail(15),
      });
    } catch (error) {
      if (this.running) await this.kill();
      this.expectingExit = true;
      throw error;
    }
  }

  private async consoleAnswers(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.consoleUrl('stats'), connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SHOW VERSION');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Immediate shutdown (SIGTERM): open client connections are closed, the process exits. */
  stop(): Promise<void> {
    return this.signalAndWait('SIGTERM');
  }

  /** A crash: SIGKILL, nothing cleaned up (the restart test's fault). */
  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL');
  }
}

export type ConsoleRow = Record<string, string | null>;

export interface PgBouncerConsole {
  /** One console command (SHOW POOLS, ...), every column as text. */
  show(command: string): Promise<ConsoleRow[]>;
  close(): Promise<void>;
}

/** A connection to the admin console (it speaks the simple query protocol only). */
export async function openConsole(consoleUrl: string): Promise<PgBouncerConsole> {
  const client = new pg.Client({ connectionString: consoleUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  // Every column as text: the console's counters are bigints and its addresses not inet-parsed.
  const asText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;
  return {
    show: async (command) => (await client.query<ConsoleRow>({ text: command, types: asText })).rows,
    close: () => client.end().catch(() => undefined),
  };
}

/** One console command on a connection of its own. */
export async function showCommand(consoleUrl: string, command: string): Promise<ConsoleRow[]> {
  const console = await openConsole(consoleUrl);
  try {
    return await console.show(command);
  } finally {
    await console.close();
  }
}
