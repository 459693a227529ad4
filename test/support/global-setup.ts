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
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { freePort } from '../../src/lib/free-port.js';
import { migrate } from '../../src/db/migrations.js';
import { generateSecrets, startFrontBouncer } from '../../tools/pgbouncer/front-bouncer.js';

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
  const pg = await startEmbeddedPostgres({
    dataDir: join(home, 'pgdata'),
    port: await freePort(),
    settings: { max_connections: '300', fsync: 'on' },
  });
  await migrate(pg.url, { forceUnlock: true });
  const front = /^(1|true)$/i.test(process.env.TEST_VIA_PGBOUNCER ?? '')
    ? await startFrontBouncer({
      adminUrl: pg.url, listenPort: await freePort(), runDir: join(home, 'pgbouncer'), secrets: generateSecrets(),
      settings: { log_connections: 0, log_disconnections: 0 },
    }).catch(async (error: unknown) => { await pg.stop(); throw error; })
    : undefined;
  project.provide('databaseUrl', front?.appUrl ?? pg.url);
  project.provide('adminDatabaseUrl', pg.url);
  project.provide('pgbouncerConsoleUrl', front?.bouncer.consoleUrl('stats') ?? '');
  return async () => {
    await front?.bouncer.stop();
    await pg.stop();
    rmSync(home, { recursive: true, force: true });
  };
}
