/**
 * Least privilege (changesets 004/005/018): the app's role reads wallets, creates them, and changes
 * balances and the ledger only through apply_operations_v4, and nothing else; PgBouncer's auth role can call its lookup and nothing else; the
 * lookup reveals only pgbouncer_client members. Checked with throw-away login roles that inherit
 * the real ones, directly against PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createLoginRole, dropRole, roles } from '../../tools/roles/roles.js';
import { generatePassword } from '../../tools/roles/scram.js';

const suffix = randomBytes(4).toString('hex');
const appUser = `wallet_app_r${suffix}`;
const authUser = `pgbouncer_auth_r${suffix}`;
const outsider = `outsider_r${suffix}`;
const password = generatePassword();

let admin: pg.Pool;
let app: pg.Client;
let auth: pg.Client;

function connectAs(user: string): Promise<pg.Client> {
  const url = new URL(inject('adminDatabaseUrl'));
  url.username = user;
  url.password = password;
  const client = new pg.Client({ connectionString: url.toString() });
  return client.connect().then(() => client);
}

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: inject('adminDatabaseUrl'), max: 2 });
  const c = await admin.connect();
  try {
    await createLoginRole(c, appUser, password, [roles.app, roles.pgbouncerClient]);
    await createLoginRole(c, authUser, password, [roles.pgbouncerAuth]);
    await createLoginRole(c, outsider, password, []);
  } finally {
    c.release();
  }
  app = await connectAs(appUser);
  auth = await connectAs(authUser);
});

afterAll(async () => {
  await app?.end();
  await auth?.end();
  const c = await admin.connect();
  try {
    for (const r of [appUser, authUser, outsider]) await dropRole(c, r);
  } finally {
    c.release();
  }
  await admin.end();
});

async function denied(client: pg.Client, sql: string, params: unknown[] = []): Promise<string | undefined> {
  try {
    await client.query('BEGIN');
    await client.query(sql, params);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('wallet_app', () => {
  it('creates wallets and applies operations through apply_operations_v4 only (changeset 018)', async () => {
    const wallet = randomUUID();
    await app.query('INSERT INTO wallets (id) VALUES ($1)', [wallet]);
    const r = await app.query(`SELECT o_outcome, o_balance_after::text AS balance FROM apply_operations_v4($1::uuid[], $2::uuid[],
      $3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::uuid[], $9::text[], $10::numeric[], $11::text[], $12::text[], false)`,
    [[wallet], [null], [null], [null], [null], ['default'], [null], [randomUUID()], ['DEPOSIT'], ['12.34'], [null], [null]]);
    expect(r.rows[0]).toMatchObject({ o_outcome: 'APPLIED', balance: '12.34' });
    expect((await app.query('SELECT balance::text AS b FROM wallets WHERE id = $1', [wallet])).rows[0].b).toBe('12.34');
    expect(await denied(app, 'UPDATE wallets SET balance = 0 WHERE id = $1', [wallet])).toBe('42501');
  });

  it.each([
    ['UPDATE the ledger', 'UPDATE operations SET amount = amount + 1'],
    ['DELETE from the ledger', 'DELETE FROM operations'],
    ['TRUNCATE the ledger', 'TRUNCATE operations'],
    ['DELETE wallets', 'DELETE FROM wallets'],
    ['create a table (DDL)', 'CREATE TABLE app_made (x int)'],
    ['alter a table (DDL)', 'ALTER TABLE wallets ADD COLUMN x int'],
    ['drop the function (DDL)', 'DROP FUNCTION apply_operations'],
    ['change the migrations bookkeeping', 'DELETE FROM databasechangelog'],
    ['read PgBouncer auth data via the lookup', `SELECT * FROM pgbouncer.get_auth('${roles.app}')`],
    ['read password hashes', 'SELECT rolpassword FROM pg_authid'],
  ])('cannot %s', async (_what, sql) => {
    expect(await denied(app, sql)).toBe('42501');
  });
});

describe('pgbouncer_auth and the lookup', () => {
  it('returns the SCRAM secret of a pgbouncer_client member', async () => {
    const r = await auth.query('SELECT usename, passwd FROM pgbouncer.get_auth($1)', [appUser]);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0].passwd).toMatch(/^SCRAM-SHA-256\$4096:/);
  });

  it('returns nothing for superusers, non-members and unknown roles', async () => {
    const superuser = new URL(inject('adminDatabaseUrl')).username;
    for (const user of [superuser, outsider, authUser, 'no_such_role']) {
      expect((await auth.query('SELECT * FROM pgbouncer.get_auth($1)', [user])).rows, user).toEqual([]);
    }
  });

  it.each([
    ['read wallets', 'SELECT * FROM public.wallets'],
    ['read the ledger', 'SELECT * FROM public.operations'],
    ['read password hashes directly', 'SELECT rolpassword FROM pg_authid'],
  ])('cannot %s', async (_what, sql) => {
    expect(await denied(auth, sql)).toBe('42501');
  });

  it('no other role may call the lookup', async () => {
    const c = await connectAs(outsider);
    try {
      expect(await denied(c, `SELECT * FROM pgbouncer.get_auth('${appUser}')`)).toBe('42501');
    } finally {
      await c.end();
    }
  });
});
