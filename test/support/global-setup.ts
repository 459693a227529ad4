/**
 * Starts one real PostgreSQL for the whole run and applies the Liquibase changelog to it.
 * TEST_DATABASE_URL (e.g. PgBouncer) and TEST_ADMIN_DATABASE_URL (direct PostgreSQL) use an
 * existing server instead; the admin URL is what tests use to inspect locks and kill backends.
 * TEST_VIA_PGBOUNCER=1 puts a real PgBouncer (docker/pgbouncer/pgbouncer.ini, transaction mode,
 * auth_query) in front of the embedded PostgreSQL: databaseUrl is then wallet_app through
 * PgBouncer, adminDatabaseUrl stays direct.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../src/lib/free-port.js';
import { migrate } from '../../src/db/migrations.js';
import { launchDatabase, pgbouncerRunDir } from '../../tools/stack/launcher.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    adminDatabaseUrl: string;
    /** PgBouncer's console (stats user) when databaseUrl goes through PgBouncer, else ''. */
    pgbouncerConsoleUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    const admin = process.env.TEST_ADMIN_DATABASE_URL ?? external;
    if (process.env.TEST_SKIP_MIGRATE !== 'true') await migrate(admin);
    project.provide('databaseUrl', external);
    project.provide('adminDatabaseUrl', admin);
    project.provide('pgbouncerConsoleUrl', process.env.TEST_PGBOUNCER_CONSOLE_URL ?? '');
    return async () => {};
  }
  const home = mkdtempSync(join(tmpdir(), 'wallet-test-'));
  chmodSync(home, 0o755); // the server may run as the postgres user
  const viaPgbouncer = /^(1|true)$/i.test(process.env.TEST_VIA_PGBOUNCER ?? '');
  const stack = await launchDatabase({
    postgres: { dataDir: join(home, 'pgdata'), port: await freePort(), settings: { max_connections: '300', fsync: 'on' } },
    pgbouncer: viaPgbouncer
      ? { port: await freePort(), runDir: pgbouncerRunDir(home), settings: { log_connections: 0, log_disconnections: 0 } }
      : undefined,
  });
  project.provide('databaseUrl', stack.appUrl);
  project.provide('adminDatabaseUrl', stack.adminUrl);
  project.provide('pgbouncerConsoleUrl', stack.front?.bouncer.consoleUrl('stats') ?? '');
  return async () => {
    await stack.stop();
    rmSync(home, { recursive: true, force: true });
  };
}
