/**
 * The real stack the fault suite breaks, started by the one launcher (tools/stack/launcher.ts): an
 * embedded PostgreSQL in a temp dir (fsync on), the Liquibase changelog applied directly, a local
 * PgBouncer (the committed pgbouncer.ini, transaction mode, auth_query) and app processes
 * (tools/stack/app-process.ts: `node --import tsx src/server.ts`) serving through it.
 * Every part can be killed, stopped, paused and restarted; nothing here is mocked.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { freePort } from '../src/lib/free-port.js';
import { sleep, waitFor } from '../src/lib/wait-for.js';
import type { FrontBouncer } from '../tools/pgbouncer/front-bouncer.js';
import { startAppProcess } from '../tools/stack/app-process.js';
import { launchDatabase, pgbouncerRunDir } from '../tools/stack/launcher.js';

const execFileAsync = promisify(execFile);

export interface StackOptions {
  apps: number;
  /** PgBouncer's max_client_conn for this stack: small, so the pool-exhaustion fault can reach it. */
  maxClientConn: number;
  /** Extra environment for the app processes (timeouts, pool size). */
  appEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface AppProcess {
  index: number;
  port: number;
  url: string;
  child: ChildProcess;
  /** Increments each time this slot is (re)started: a restart the suite did not ask for shows up here. */
  starts: number;
  exited: boolean;
}

/** Bounds on start-up and restarts. */
const appStartTimeoutMs = 60_000;
const pgRestartTimeoutMs = 60_000;
const postgresGoneTimeoutMs = 10_000;
const appStopTimeoutMs = 15_000;

export class FaultStack {
  readonly home: string;
  private pg: EmbeddedPostgres | undefined;
  private pgPort = 0;
  private front!: FrontBouncer;
  readonly apps: AppProcess[] = [];
  admin!: pg.Pool;
  appDatabaseUrl = '';

  private constructor(private readonly options: StackOptions) {
    this.home = mkdtempSync(join(tmpdir(), 'wallet-faults-'));
    chmodSync(this.home, 0o755); // PostgreSQL and PgBouncer run as the postgres user when we are root
  }

  static async start(options: StackOptions): Promise<FaultStack> {
    const stack = new FaultStack(options);
    try {
      await stack.boot();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  private say(line: string): void {
    this.options.log?.(line);
  }

  get dataDir(): string {
    return join(this.home, 'pgdata');
  }

  get bouncer() {
    return this.front.bouncer;
  }

  private readonly pgSettings = { max_connections: '200', fsync: 'on', synchronous_commit: 'on' };

  private async boot(): Promise<void> {
    this.pgPort = await freePort();
    const launched = await launchDatabase({
      postgres: { dataDir: this.dataDir, port: this.pgPort, settings: this.pgSettings },
      pgbouncer: {
        port: await freePort(), runDir: pgbouncerRunDir(this.home),
        settings: { log_connections: 0, log_disconnections: 0, stats_period: 3600, max_client_conn: this.options.maxClientConn },
      },
    });
    this.pg = launched.postgres;
    this.front = launched.front!;
    this.say(`PostgreSQL on 127.0.0.1:${this.pgPort} (${this.dataDir})`);
    this.admin = new pg.Pool({ connectionString: launched.adminUrl, max: 6, connectionTimeoutMillis: 5000 });
    this.admin.on('error', () => undefined); // restarts break idle admin connections; the next query reconnects
    this.appDatabaseUrl = launched.appUrl;
    this.say(`PgBouncer on 127.0.0.1:${this.bouncer.port} (max_client_conn ${this.options.maxClientConn})`);
    for (let i = 0; i < this.options.apps; i++) {
      this.apps.push({ index: i, port: await freePort(), url: '', child: undefined as unknown as ChildProcess, starts: 0, exited: true });
      await this.startApp(i);
    }
  }

  /** Starts (or restarts) app slot `index` and waits until it answers /health. */
  async startApp(index: number): Promise<AppProcess> {
    const app = this.apps[index]!;
    app.starts++;
    app.exited = false;
    const started = await startAppProcess({
      entry: 'server', port: app.port, startTimeoutMs: appStartTimeoutMs,
      output: { file: join(this.home, `app-${index}.log`) },
      // Open contract (no API keys): the suite is about database faults, and its load sends no key.
      env: { DATABASE_URL: this.appDatabaseUrl, MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn', AUTH_REQUIRED: 'false', ...this.options.appEnv },
    }).catch((error: unknown) => {
      app.exited = true;
      throw error;
    });
    app.child = started.child;
    app.url = started.url;
    void started.exit.then(() => { if (app.child === started.child) app.exited = true; });
    return app;
  }

  killApp(index: number): void {
    this.apps[index]!.child.kill('SIGKILL');
  }

  liveApps(): AppProcess[] {
    return this.apps.filter((a) => !a.exited);
  }

  /** The postmaster's pid (first line of postmaster.pid). */
  postmasterPid(): number {
    return Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** The postmaster and every process it forked (backends, checkpointer, walwriter, ...). */
  async postgresPids(): Promise<number[]> {
    const postmaster = this.postmasterPid();
    const { stdout } = await execFileAsync('ps', ['-o', 'pid=', '--ppid', String(postmaster)]).catch(() => ({ stdout: '' }));
    return [postmaster, ...stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0)];
  }

  /** `pg_ctl stop -m fast`: sessions are terminated, the server checkpoints and exits cleanly. */
  async stopPostgresFast(): Promise<void> {
    await this.pg?.stop();
  }

  /** SIGKILL to the postmaster and all its children at once: a crash; the restart runs crash recovery. */
  async killPostgres(): Promise<void> {
    const pids = await this.postgresPids();
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    await waitFor(() => (pids.some(alive) ? undefined : true), { what: 'the killed PostgreSQL processes to go', timeoutMs: postgresGoneTimeoutMs, intervalMs: 50 })
      .catch(() => undefined); // a zombie may linger until reaped: the restart copes
  }

  /** Restarts PostgreSQL on the same port and data dir (PgBouncer reconnects by itself). */
  async restartPostgres(): Promise<void> {
    let lastError = '';
    // Right after a crash the old shared memory may still be attached for a moment: retry.
    this.pg = await waitFor(async () => {
      try {
        return await startEmbeddedPostgres({ dataDir: this.dataDir, port: this.pgPort, settings: this.pgSettings });
      } catch (error) {
        lastError = (error as Error).message;
        return undefined;
      }
    }, { what: 'PostgreSQL restarting', timeoutMs: pgRestartTimeoutMs, intervalMs: 500, detail: () => lastError });
  }

  /** SIGSTOP every PostgreSQL process for `pauseMs`, then SIGCONT: a frozen (not dead) database. */
  async pausePostgres(pauseMs: number): Promise<void> {
    const pids = await this.postgresPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await sleep(pauseMs);
    } finally {
      for (const pid of pids) {
        try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.filter((app) => !app.exited).map(async (app) => {
      app.child.kill('SIGTERM');
      await waitFor(() => (app.exited ? true : undefined), { what: `app ${app.index} stopping`, timeoutMs: appStopTimeoutMs, intervalMs: 50 })
        .catch(() => app.child.kill('SIGKILL'));
    }));
    await this.admin?.end().catch(() => undefined);
    await this.front?.bouncer.stop().catch(() => undefined);
    // A paused server must be resumed to be stopped.
    await this.postgresPids().then((pids) => pids.forEach((pid) => {
      try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
    })).catch(() => undefined);
    await this.pg?.stop().catch(() => undefined);
    if (!process.env.FAULTS_KEEP) rmSync(this.home, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
