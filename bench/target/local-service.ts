/**
 * Starts the service the way `npm start` does, in a temporary directory on free ports, and
 * stops everything afterwards: either on its own embedded PostgreSQL (the default), or (via
 * PgBouncer) on the stack of tools/stack/launcher.ts (embedded PostgreSQL, migrations, the local
 * PgBouncer in transaction mode, wallet_app via auth_query), as in production.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedPostgres, startEmbeddedPostgres, stopOrphanedPostgres } from '../../src/db/embedded-postgres.js';
import { freePort } from '../../src/lib/free-port.js';
import { type AppProcess, startAppProcess } from '../../tools/stack/app-process.js';
import { launchDatabase, pgbouncerRunDir } from '../../tools/stack/launcher.js';
import pg from 'pg';
import { createKey } from '../../src/auth/key-store.js';
import { TENANT_SCOPES } from '../../src/auth/scopes.js';
import { loadConfig } from '../../src/config/config.js';
import { useBenchKey } from './bench-auth.js';

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

/** The default target: the service starts its own embedded PostgreSQL in a temporary directory. */
export interface StartOptions {
  log: Log;
  /** Registers what must be undone if the harness is interrupted before stop() is returned. */
  onCleanup: (cleanup: () => Promise<void>) => void;
  /** Extra node options for the service, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

function temporaryHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'wallet-bench-'));
  // The embedded PostgreSQL (and PgBouncer) run as the postgres user when we are root.
  chmodSync(home, 0o755);
  return home;
}

/** The service (`src/server.ts`, LOG_LEVEL warn), its output in home/service.log; SIGTERM, then SIGKILL after stopBoundMs. */
async function startService(home: string, env: Record<string, string | undefined>, options: StartOptions): Promise<AppProcess> {
  const port = await freePort();
  options.log(`starting the service on http://127.0.0.1:${port}`);
  const app = await startAppProcess({
    entry: 'server', port, nodeArgs: options.nodeArgs, startTimeoutMs: startBoundMs,
    // API_KEY_FILE: a first run on a fresh database saves its key there, inside the temporary
    // home, never in the project's .data/ (where a developer's own key lives).
    env: { LOG_LEVEL: 'warn', DATABASE_URL: undefined, MIGRATION_DATABASE_URL: undefined, API_KEY_FILE: join(home, 'api-key'), ...env },
    output: { file: join(home, 'service.log') },
  });
  options.onCleanup(() => app.stop(stopBoundMs));
  void app.exit.then(() => options.log(`the service exited (${app.child.signalCode ?? `code ${app.child.exitCode}`})`));
  return app;
}

export async function startLocalService(options: StartOptions): Promise<LocalService> {
  const home = temporaryHome();
  const dataDir = join(home, 'postgres');
  const pgPort = await freePort();
  options.log(`embedded PostgreSQL for the service on port ${pgPort}, data in ${dataDir}`);
  let joined: EmbeddedPostgres | undefined;
  const cleanUp = async () => {
    // Our lease on the service's cluster: once the service is gone we are its last user and stop it.
    await joined?.stop();
    await stopOrphanedPostgres(dataDir);
    rmSync(home, { recursive: true, force: true });
  };
  options.onCleanup(cleanUp);
  let server: AppProcess;
  try {
    server = await startService(home, { EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) }, options);
    joined = await startEmbeddedPostgres({ dataDir, port: pgPort }); // joins the service's server
    // The key its first start created (tenant default, every scope); none with AUTH_REQUIRED=false.
    const keyFile = join(home, 'api-key');
    useBenchKey(existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return {
    baseUrl: server.url,
    databaseUrl: joined.url,
    pid: server.pid,
    logTail: () => server.logTail(),
    async stop() {
      await server.stop(stopBoundMs);
      await cleanUp();
    },
  };
}

/** --via-pgbouncer: the launcher's stack (PostgreSQL, migrations, PgBouncer), then the service on PgBouncer. */
export async function startServiceViaPgbouncer(options: StartOptions): Promise<LocalService> {
  const home = temporaryHome();
  const stops: Array<() => Promise<void>> = [async () => rmSync(home, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => options.log(`clean-up: ${String(error)}`));
  };
  options.onCleanup(stopAll);
  try {
    const stack = await launchDatabase({
      postgres: { dataDir: join(home, 'postgres'), port: await freePort() },
      pgbouncer: {
        port: await freePort(), runDir: pgbouncerRunDir(home), detached: true,
        settings: { log_connections: 0, log_disconnections: 0 },
      },
      log: options.log,
    });
    stops.push(() => stack.stop());
    options.log(`PgBouncer on port ${stack.front!.bouncer.port} in front of PostgreSQL (transaction mode)`);
    const server = await startService(home, { DATABASE_URL: stack.appUrl, MIGRATE_ON_START: 'false' }, options);
    useBenchKey(loadConfig().auth.required ? await benchKey(stack.adminUrl) : undefined);
    stops.push(() => server.stop(stopBoundMs));
    return { baseUrl: server.url, databaseUrl: stack.adminUrl, pid: server.pid, logTail: () => server.logTail(), stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A key for tenant default (the tenant of the wallets the scenarios insert), made as the schema owner. */
async function benchKey(adminUrl: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: adminUrl, max: 1 });
  try {
    return (await createKey(pool, { tenant: 'default', scopes: [...TENANT_SCOPES], actor: 'bench' })).key;
  } finally {
    await pool.end();
  }
}
