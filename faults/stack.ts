/**
 * The real stack the fault suite breaks: an embedded PostgreSQL in a temp dir (fsync on), the
 * Liquibase changelog applied directly, a local PgBouncer (the committed pgbouncer.ini, transaction
 * mode, auth_query) and app processes (`node --import tsx src/server.ts`) serving through it.
 * Every part can be killed, stopped, paused and restarted; nothing here is mocked.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { migrate, projectRoot } from '../src/db/migrations.js';
import { type FrontBouncer, generateSecrets, startFrontBouncer } from '../tools/pgbouncer/front-bouncer.js';
import { freePort } from '../src/lib/free-port.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

export class FaultStack {
  readonly home: string;
  private pg!: EmbeddedPostgres;
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

  private async startPostgres(): Promise<void> {
    this.pg = await startEmbeddedPostgres({
      dataDir: this.dataDir, port: this.pgPort,
      settings: { max_connections: '200', fsync: 'on', synchronous_commit: 'on' },
    });
  }

  private async boot(): Promise<void> {
    this.pgPort = await freePort();
    await this.startPostgres();
    this.say(`PostgreSQL on 127.0.0.1:${this.pgPort} (${this.dataDir})`);
    await migrate(this.pg.url, { forceUnlock: true });
    this.admin = new pg.Pool({ connectionString: this.pg.url, max: 6, connectionTimeoutMillis: 5000 });
    this.admin.on('error', () => undefined); // restarts break idle admin connections; the next query reconnects
    this.front = await startFrontBouncer({
      adminUrl: this.pg.url, listenPort: await freePort(), runDir: join(this.home, 'pgbouncer'), secrets: generateSecrets(),
      settings: { log_connections: 0, log_disconnections: 0, stats_period: 3600, max_client_conn: this.options.maxClientConn },
    });
    this.appDatabaseUrl = this.front.appUrl;
    this.say(`PgBouncer on 127.0.0.1:${this.bouncer.port} (max_client_conn ${this.options.maxClientConn})`);
    for (let i = 0; i < this.options.apps; i++) {
      this.apps.push({ index: i, port: await freePort(), url: '', child: undefined as unknown as ChildProcess, starts: 0, exited: true });
      await this.startApp(i);
    }
  }

  /** Starts (or restarts) app slot `index` and waits until it answers /health. */
  async startApp(index: number): Promise<AppProcess> {
    const app = this.apps[index]!;
    const logFile = createWriteStream(join(this.home, `app-${index}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: this.appDatabaseUrl,
        MIGRATE_ON_START: 'false',
        HOST: '127.0.0.1',
        PORT: String(app.port),
        LOG_LEVEL: 'warn',
        ...this.options.appEnv,
      },
    });
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    app.child = child;
    app.url = `http://127.0.0.1:${app.port}`;
    app.exited = false;
    app.starts++;
    child.once('exit', () => { app.exited = true; });
    const deadline = Date.now() + appStartTimeoutMs;
    for (;;) {
      if (app.exited) throw new Error(`app ${index} exited during start-up; see ${join(this.home, `app-${index}.log`)}`);
      try {
        if ((await fetch(`${app.url}/health`, { signal: AbortSignal.timeout(1000) })).ok) return app;
      } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error(`app ${index} did not answer within ${appStartTimeoutMs} ms`);
      await sleep(100);
    }
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
    await this.pg.stop();
  }

  /** SIGKILL to the postmaster and all its children at once: a crash; the restart runs crash recovery. */
  async killPostgres(): Promise<void> {
    const pids = await this.postgresPids();
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  }

  /** Restarts PostgreSQL on the same port and data dir (PgBouncer reconnects by itself). */
  async restartPostgres(): Promise<void> {
    const deadline = Date.now() + pgRestartTimeoutMs;
    for (;;) {
      try {
        await this.startPostgres();
        return;
      } catch (error) {
        // Right after a crash the old shared memory may still be attached for a moment.
        if (Date.now() > deadline) throw error;
        await sleep(500);
      }
    }
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
    for (const app of this.apps) {
      if (!app.exited) {
        app.child.kill('SIGTERM');
        const deadline = Date.now() + 15_000;
        while (!app.exited && Date.now() < deadline) await sleep(50);
        if (!app.exited) app.child.kill('SIGKILL');
      }
    }
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
