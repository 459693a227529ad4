/**
 * A PgBouncer of a test's own in front of the test PostgreSQL, with throw-away login roles that
 * inherit wallet_app and pgbouncer_auth's rights. No test touches the real roles' passwords, so
 * the suite's own PgBouncer (TEST_VIA_PGBOUNCER) keeps working while these run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { PgBouncer, showCommand } from '../../tools/pgbouncer/pgbouncer.js';
import { createLoginRole, dropRole, roles } from '../../tools/roles/roles.js';
import { generatePassword } from '../../tools/roles/scram.js';
import { freePort } from '../../src/lib/free-port.js';

export interface BouncerFixture {
  bouncer: PgBouncer;
  /** The app's login (a member of wallet_app) through this PgBouncer. */
  appUrl: string;
  appUser: string;
  authUser: string;
  admin: pg.Pool;
  show(command: string): Promise<Record<string, string | null>[]>;
  close(): Promise<void>;
}

/** Quiet logs; the committed limits unless a test overrides them. */
export async function startBouncerFixture(settings: Record<string, string | number> = {}): Promise<BouncerFixture> {
  const adminUrl = inject('adminDatabaseUrl');
  const server = new URL(adminUrl);
  const admin = new pg.Pool({ connectionString: adminUrl, max: 4 });
  const suffix = randomBytes(4).toString('hex');
  const appUser = `wallet_app_t${suffix}`;
  const authUser = `pgbouncer_auth_t${suffix}`;
  const appPassword = generatePassword();
  const authPassword = generatePassword();
  const client = await admin.connect();
  try {
    await createLoginRole(client, appUser, appPassword, [roles.app, roles.pgbouncerClient]);
    await createLoginRole(client, authUser, authPassword, [roles.pgbouncerAuth]);
  } finally {
    client.release();
  }
  const runDir = mkdtempSync(join(tmpdir(), 'wallet-bouncer-'));
  const bouncer = new PgBouncer({
    server: { host: server.hostname, port: Number(server.port || 5432), dbname: server.pathname.slice(1) || 'postgres' },
    listenPort: await freePort(),
    runDir,
    authUser: { name: authUser, password: authPassword },
    consolePasswords: { admin: generatePassword(), stats: generatePassword() },
    settings: { log_connections: 0, log_disconnections: 0, stats_period: 3600, ...settings },
  });
  const cleanup = async () => {
    await bouncer.stop();
    const c = await admin.connect();
    try {
      // Sessions of the throw-away roles (PgBouncer's server connections) go before the roles.
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY ($1)', [[appUser, authUser]]);
      await dropRole(c, appUser);
      await dropRole(c, authUser);
    } finally {
      c.release();
    }
    await admin.end();
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    await bouncer.start();
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    bouncer, appUser, authUser, admin,
    appUrl: bouncer.url(appUser, appPassword),
    show: (command) => showCommand(bouncer.consoleUrl('stats'), command),
    close: cleanup,
  };
}

/** Server connections PgBouncer holds to the test database, from SHOW SERVERS. */
export function countServers(rows: Record<string, string | null>[], database: string): number {
  return rows.filter((r) => r.database === database).length;
}
