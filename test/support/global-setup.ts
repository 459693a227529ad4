/**
 * Starts one real PostgreSQL for the whole run and applies the Liquibase changelog to it.
 * TEST_DATABASE_URL (e.g. PgBouncer) and TEST_ADMIN_DATABASE_URL (direct PostgreSQL) use an
 * existing server instead; the admin URL is what tests use to inspect locks and kill backends.
 * TEST_VIA_PGBOUNCER=1 puts a real PgBouncer (docker/pgbouncer/pgbouncer.ini, transaction mode,
 * auth_query) in front of the embedded PostgreSQL: databaseUrl is then wallet_app through
 * PgBouncer, adminDatabaseUrl stays direct.
 * TEST_VIA_CITUS=1 starts a Citus cluster instead (a coordinator and two workers of Debian's
 * PostgreSQL 15 with Citus, tools/citus/citus-cluster.ts; 8 shards per table, 4 per worker) and
 * migrates it, so the changelog distributes the tables: both URLs are the coordinator's superuser,
 * and `citus` is true for the tests that check placement or cannot run there (each skip says why).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../src/lib/free-port.js';
import { migrate } from '../../src/db/migrations.js';
import { launchDatabase, pgbouncerRunDir } from '../../tools/stack/launcher.js';
import { CitusCluster } from '../../tools/citus/citus-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    adminDatabaseUrl: string;
    /** PgBouncer's console (stats user) when databaseUrl goes through PgBouncer, else ''. */
    pgbouncerConsoleUrl: string;
    /** True when the database is a Citus cluster (TEST_VIA_CITUS=1). */
    citus: boolean;
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
    project.provide('citus', false);
    return async () => {};
  }
  const home = mkdtempSync(join(tmpdir(), 'wallet-test-'));
  chmodSync(home, 0o755); // the server may run as the postgres user
  if (/^(1|true)$/i.test(process.env.TEST_VIA_CITUS ?? '')) {
    const ports = [await freePort(), await freePort(), await freePort()];
    const cluster = await CitusCluster.start({ home: join(home, 'citus'), ports, settings: { fsync: 'on', 'citus.shard_count': '8' } });
    try {
      await migrate(cluster.adminUrl, { forceUnlock: true });
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    project.provide('databaseUrl', cluster.adminUrl);
    project.provide('adminDatabaseUrl', cluster.adminUrl);
    project.provide('pgbouncerConsoleUrl', '');
    project.provide('citus', true);
    return async () => {
      await cluster.stop();
      rmSync(home, { recursive: true, force: true });
    };
  }
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
  project.provide('citus', false);
  return async () => {
    await stack.stop();
    rmSync(home, { recursive: true, force: true });
  };
}
