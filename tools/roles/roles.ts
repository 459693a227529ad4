/**
 * Login for the roles changeset 004 creates without a password. The deployment owns the
 * secrets: Compose sets them in docker/postgres/initdb, the local stack and the tests here,
 * through a direct (never pooled) connection as the schema owner.
 */
import pg from 'pg';
import { isScramSafe, scramSecret } from './scram.js';

/** Role names fixed by changesets 004/005. */
export const roles = {
  app: 'wallet_app',
  pgbouncerAuth: 'pgbouncer_auth',
  pgbouncerClient: 'pgbouncer_client',
} as const;

/** The password as PostgreSQL should store it: hashed here when possible, so it never travels. */
function passwordLiteral(client: pg.ClientBase, password: string): string {
  return client.escapeLiteral(isScramSafe(password) ? scramSecret(password) : password);
}

export async function setLoginPassword(client: pg.ClientBase, role: string, password: string): Promise<void> {
  await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH LOGIN PASSWORD ${passwordLiteral(client, password)}`);
}

export interface RolePasswords {
  appPassword: string;
  pgbouncerAuthPassword: string;
}

/** Gives wallet_app and pgbouncer_auth LOGIN with these passwords (migrations must have run). */
export async function provisionLoginRoles(adminUrl: string, passwords: RolePasswords): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await setLoginPassword(client, roles.app, passwords.appPassword);
    await setLoginPassword(client, roles.pgbouncerAuth, passwords.pgbouncerAuthPassword);
  } finally {
    await client.end();
  }
}

/**
 * A throw-away login role that inherits `grantedRole` (tests: each PgBouncer instance gets its
 * own auth user and app user, so no test changes a password another test or the suite relies on).
 */
export async function createLoginRole(client: pg.ClientBase, name: string, password: string, memberOf: string[]): Promise<void> {
  const groups = memberOf.map((r) => client.escapeIdentifier(r)).join(', ');
  await client.query(`CREATE ROLE ${client.escapeIdentifier(name)} LOGIN PASSWORD ${passwordLiteral(client, password)}` +
    (groups ? ` IN ROLE ${groups}` : ''));
}

export async function dropRole(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(name)}`);
}
