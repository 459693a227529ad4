/**
 * Least privilege, end to end (complements test/topology/roles.test.ts, which checks the grants
 * one statement at a time): the whole HTTP contract works when the app logs in as a member of
 * wallet_app and nothing more, while that role cannot rewrite the ledger, run any kind of DDL
 * (temporary tables included), escalate, reach the server's files, or read PgBouncer's auth
 * data; and the schema belongs to the migrating role, which the app is not and cannot become.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createLoginRole, dropRole, roles } from '../../tools/roles/roles.js';
import { generatePassword } from '../../tools/roles/scram.js';
import { createWallet, makeKey, newTenant, operate, useTestApp } from '../support/test-app.js';

const appUser = `wallet_app_p${randomBytes(4).toString('hex')}`;
const password = generatePassword();
let admin: pg.Pool;
let appUrl: string;
let client: pg.Client;

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: inject('adminDatabaseUrl'), max: 2 });
  const c = await admin.connect();
  try {
    await createLoginRole(c, appUser, password, [roles.app]);
  } finally {
    c.release();
  }
  const url = new URL(inject('adminDatabaseUrl'));
  url.username = appUser;
  url.password = password;
  appUrl = url.toString();
  client = new pg.Client({ connectionString: appUrl });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  const c = await admin.connect();
  try {
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [appUser]);
    await dropRole(c, appUser);
  } finally {
    c.release();
  }
  await admin.end();
});

/** The SQLSTATE a statement fails with as the app role (undefined: it succeeded); always rolled back. */
async function attempt(sql: string): Promise<string | undefined> {
  try {
    await client.query('BEGIN');
    await client.query(sql);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? 'no sqlstate';
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('the app works with nothing but wallet_app', () => {
  const t = useTestApp({}, { url: () => appUrl });

  it('serves the contract: create, deposit, withdraw, refuse, replay, read, history, readiness', async () => {
    const id = await createWallet(t.app);
    const deposit = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '10.00' }, { 'idempotency-key': 'p-1' });
    expect(deposit.json()).toMatchObject({ status: 'SUCCESS', balance: '10.00' });
    expect((await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '3.50' })).json()).toMatchObject({ balance: '6.50' });
    expect((await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '99.00' }, { 'idempotency-key': 'p-2' })).statusCode).toBe(400);
    const replay = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '10.00' }, { 'idempotency-key': 'p-1' });
    expect(replay.headers['idempotency-replayed']).toBe('true');
    const opId = (deposit.json() as { id: string }).id;
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations/${opId}` })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` })).json()).toMatchObject({ balance: '6.50' });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations` })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });
});

describe('wallet_app cannot', () => {
  it.each([
    ['rewrite a ledger row', 'UPDATE operations SET status = status'],
    ['delete a ledger row', 'DELETE FROM operations WHERE false'],
    ['truncate wallets', 'TRUNCATE wallets'],
    ['create a temporary table (also breaks transaction pooling)', 'CREATE TEMP TABLE scratch (x int)'],
    ['create a schema', 'CREATE SCHEMA app_owned'],
    ['create a function', 'CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$'],
    ['replace apply_operations', `CREATE OR REPLACE FUNCTION apply_operations(uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean)
      RETURNS TABLE (o_idx int) LANGUAGE sql AS $$ SELECT 1 $$`],
    ['create a view', 'CREATE VIEW public.v AS SELECT 1 AS x'],
    ['create an index', 'CREATE INDEX ON operations (amount)'],
    ['drop the ledger', 'DROP TABLE operations'],
    ['disable a constraint', 'ALTER TABLE wallets DROP CONSTRAINT IF EXISTS wallets_balance_check'],
    ['add a trigger', 'CREATE TRIGGER t BEFORE UPDATE ON wallets FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()'],
    ['comment on the ledger', "COMMENT ON TABLE operations IS 'x'"],
    ['become the schema owner', `SET ROLE ${new URL(inject('adminDatabaseUrl')).username}`],
    ['create an extension', 'CREATE EXTENSION IF NOT EXISTS pgcrypto'],
    ['write a server file', "COPY (SELECT 1) TO '/tmp/wallet-app-was-here'"],
    ['run a program', "COPY (SELECT 1) TO PROGRAM 'true'"],
    ['read a server file', "SELECT pg_read_file('postgresql.conf')"],
    ['read password hashes (pg_shadow)', 'SELECT passwd FROM pg_shadow'],
    ['reach the PgBouncer auth schema', 'SELECT * FROM pgbouncer.get_auth(current_user)'],
    ['alter its own role', 'ALTER ROLE CURRENT_USER CREATEDB'],
    ['change the migrations lock', 'UPDATE databasechangeloglock SET locked = false'],
    ['forge an event (only the ledger trigger writes them)', `INSERT INTO events (feed_txid, id, type, tenant, wallet_id, payload)
      VALUES ('1', gen_random_uuid(), 'operation.succeeded', 'default', gen_random_uuid(), '{}')`],
    ['rewrite an event', "UPDATE events SET payload = '{}'"],
    ['delete events outside retention', 'DELETE FROM events WHERE false'],
    ['call the event trigger function', 'SELECT events_from_operations()'],
    // Changeset 018: balances, holds and ledger rows change only through apply_operations_v4.
    ['set a balance directly', 'UPDATE wallets SET balance = balance + 1000'],
    ['move a wallet to another tenant', "UPDATE wallets SET tenant = 'elsewhere'"],
    ['change what a wallet holds', 'UPDATE wallets SET held = 0'],
    ['create a wallet with a balance', 'INSERT INTO wallets (id, balance) VALUES (gen_random_uuid(), 1000)'],
    ['append a ledger row itself', `INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status)
      SELECT id, gen_random_uuid(), last_seq + 1, 'DEPOSIT', 1000, balance + 1000, 'SUCCESS' FROM wallets LIMIT 1`],
    ['rewrite a hold', 'UPDATE holds SET amount = 0'],
    ['call a retired engine version (SECURITY INVOKER)', `SELECT * FROM apply_operations('{}'::uuid[], '{}'::text[], '{}'::text[],
      '{}'::uuid[], '{}'::text[], '{}'::numeric[], '{}'::text[], '{}'::text[], false)`],
  ])('%s', async (_what, sql) => {
    expect(await attempt(sql)).toBe('42501');
  });
});

describe('roles and ownership', () => {
  it('wallet_app and its members carry no dangerous attribute', async () => {
    const r = await admin.query(`SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
      FROM pg_roles WHERE rolname = ANY ($1)`, [[roles.app, appUser]]);
    expect(r.rows).toHaveLength(2);
    for (const row of r.rows) {
      expect(row).toMatchObject({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false });
    }
  });

  it('the schema belongs to the migrating role, which wallet_app is not and is not a member of', async () => {
    const owners = await admin.query<{ owner: string }>(`
      SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i', 'S', 'v')
      UNION SELECT DISTINCT pg_get_userbyid(p.proowner) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace`);
    const migrator = new URL(inject('adminDatabaseUrl')).username;
    expect(owners.rows.map((r) => r.owner)).toEqual([migrator]);
    const member = await client.query<{ m: boolean }>('SELECT pg_has_role(current_user, $1, $2) AS m', [migrator, 'MEMBER']);
    expect(member.rows[0]!.m).toBe(false);
  });

  it('the only SECURITY DEFINER functions wallet_app may call: the engine (018; v5, 030), the key functions (009), retention of events (015) and refusals (021), lapsed holds (033)', async () => {
    const r = await client.query<{ fn: string }>(`
      SELECT p.oid::regprocedure::text AS fn FROM pg_proc p
       WHERE p.prosecdef AND p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
         AND has_function_privilege(current_user, p.oid, 'EXECUTE')
         AND has_schema_privilege(current_user, p.pronamespace, 'USAGE')
       ORDER BY 1`);
    expect(r.rows.map((row) => row.fn)).toEqual(['api_key_lookup(text)', 'api_keys_touch(text[])',
      'apply_operations_v4(uuid[],uuid[],uuid[],uuid[],integer[],text[],text[],uuid[],text[],numeric[],text[],text[],boolean)',
      'apply_operations_v5(uuid[],uuid[],uuid[],uuid[],integer[],text[],text[],uuid[],text[],numeric[],text[],text[],boolean)',
      'events_prune(interval,integer)', 'refusals_prune(interval,integer)', 'release_lapsed_holds(uuid)']);
    // Each with a pinned search_path, so no object elsewhere can stand in for what it touches.
    const unpinned = await client.query(`SELECT p.proname FROM pg_proc p WHERE p.prosecdef
        AND p.pronamespace = 'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')`);
    expect(unpinned.rows).toEqual([]);
  });

  it('a GRANT by wallet_app gives nobody anything (it holds no grant option)', async () => {
    await client.query('BEGIN');
    try {
      await client.query('GRANT UPDATE, DELETE ON operations TO PUBLIC'); // only a WARNING: no privileges were granted
      const r = await client.query<{ u: boolean; d: boolean }>(
        "SELECT has_table_privilege('public', 'operations', 'UPDATE') AS u, has_table_privilege('public', 'operations', 'DELETE') AS d");
      expect(r.rows[0]).toEqual({ u: false, d: false });
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('wallet_app cannot see what other roles (the owner, PgBouncer\'s auth user) are running', async () => {
    const r = await client.query<{ n: string }>(`
      SELECT count(*)::text AS n FROM pg_stat_activity
       WHERE usesysid IS NOT NULL AND NOT pg_has_role(current_user, usesysid, 'USAGE')
         AND query NOT LIKE '<insufficient privilege>'`);
    expect(r.rows[0]!.n).toBe('0');
  });

  it('a wallet row cannot be deleted out from under its ledger even by accident', async () => {
    const id = randomUUID();
    await client.query('INSERT INTO wallets (id) VALUES ($1)', [id]);
    expect(await attempt(`DELETE FROM wallets WHERE id = '${id}'`)).toBe('42501');
  });
});

describe('API keys', () => {
  let keyId: string;
  beforeAll(async () => {
    const key = await makeKey(newTenant('priv'), ['wallets:read']);
    keyId = key.key_id;
  });

  it.each([
    ['read key hashes', 'SELECT secret_sha256 FROM api_keys'],
    ['count keys', 'SELECT count(*) FROM api_keys'],
    ['read the audit', 'SELECT * FROM api_key_audit'],
    ['list tenants', 'SELECT * FROM tenants'],
    ['create a key', `INSERT INTO api_keys (id, tenant, scopes, secret_sha256) VALUES ('0123456789abcdef', 'default', '{admin}', '${'0'.repeat(64)}')`],
    ['widen a key', "UPDATE api_keys SET scopes = '{admin}'"],
    ['un-revoke a key', 'UPDATE api_keys SET revoked_at = NULL'],
    ['delete a key', 'DELETE FROM api_keys'],
    ['forge the audit', "INSERT INTO api_key_audit (actor, action) VALUES ('x', 'create')"],
    ['create a tenant', "INSERT INTO tenants (name) VALUES ('evil')"],
  ])('wallet_app cannot %s', async (_what, sql) => {
    expect(await attempt(sql)).toBe('42501');
  });

  it('wallet_app reads one key by its id (what it needs to verify it), never a list', async () => {
    const one = await client.query('SELECT * FROM api_key_lookup($1)', [keyId]);
    expect(one.rows).toHaveLength(1);
    expect(Object.keys(one.rows[0]).sort()).toEqual(['expires_at', 'revoked_at', 'scopes', 'secret_sha256', 'tenant']);
    expect((await client.query("SELECT * FROM api_key_lookup('%')")).rows).toEqual([]);
    expect((await client.query('SELECT * FROM api_key_lookup(NULL)')).rows).toEqual([]);
  });

  it('api_keys_touch only moves last_used_at, coarsely', async () => {
    await client.query('SELECT api_keys_touch($1::text[])', [[keyId]]);
    const first = (await admin.query('SELECT last_used_at, scopes, revoked_at FROM api_keys WHERE id = $1', [keyId])).rows[0];
    expect(first.last_used_at).toBeInstanceOf(Date);
    await client.query('SELECT api_keys_touch($1::text[])', [[keyId]]);
    const second = (await admin.query('SELECT last_used_at, scopes, revoked_at FROM api_keys WHERE id = $1', [keyId])).rows[0];
    expect(second).toEqual(first); // within a minute: not rewritten
  });
});

describe('statement_timeout on what the app runs outside its transactions (changeset 019)', () => {
  it('wallet_app has a server-side default of 5 s in this database, set by the server at login (no session state)', async () => {
    const r = await admin.query<{ setconfig: string[] }>(`SELECT s.setconfig FROM pg_db_role_setting s
       JOIN pg_database d ON d.oid = s.setdatabase WHERE s.setrole = 'wallet_app'::regrole AND d.datname = current_database()`);
    expect(r.rows.flatMap((row) => row.setconfig)).toContain('statement_timeout=5s');
  });

  it('a login as a role carrying it cuts a long read on the server', async () => {
    // Role defaults are not inherited, so the throw-away login gets the same one, the way docs/operations.md says.
    const reader = `wallet_read_t${randomBytes(4).toString('hex')}`;
    const c = await admin.connect();
    try {
      await createLoginRole(c, reader, password, [roles.app]);
      await c.query(`ALTER ROLE ${reader} SET statement_timeout = '200ms'`);
    } finally {
      c.release();
    }
    const url = new URL(appUrl);
    url.username = reader;
    const login = new pg.Client({ connectionString: url.toString() });
    await login.connect();
    try {
      await expect(login.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await login.end();
      const d = await admin.connect();
      try {
        await dropRole(d, reader);
      } finally {
        d.release();
      }
    }
  });
});
