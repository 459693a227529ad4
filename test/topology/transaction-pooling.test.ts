/**
 * Transaction pooling rules, checked two ways: (1) a canary proving that this PgBouncer set-up
 * really does break session features, so the checks below can fail; (2) the app, driven hard
 * through a 2-connection pool, leaves no session state on the server connections it used.
 * A static scan catches the usual regressions before they reach a server.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { pgBouncerAvailable } from '../../tools/pgbouncer/pgbouncer.js';
import { readPgBouncerSettings } from '../../tools/pgbouncer/pgbouncer-ini.js';
import { createWallet, operate, useTestApp } from '../support/test-app.js';
import { type BouncerFixture, startBouncerFixture } from './bouncer-fixture.js';

const skip = !pgBouncerAvailable() && !process.env.CI;

describe('the committed pgbouncer.ini', () => {
  it('pools by transaction with explicit limits, timeouts, auth_query and console users', () => {
    const s = readPgBouncerSettings();
    expect(s.pool_mode).toBe('transaction');
    expect(s.auth_type).toBe('scram-sha-256');
    expect(s.auth_user).toBe('pgbouncer_auth');
    expect(s.auth_query).toBe('SELECT usename, passwd FROM pgbouncer.get_auth($1)');
    for (const key of ['max_client_conn', 'default_pool_size', 'reserve_pool_size', 'max_db_connections',
      'query_wait_timeout', 'server_idle_timeout', 'server_lifetime', 'idle_transaction_timeout', 'server_connect_timeout']) {
      expect(s[key], key).toMatch(/^\d+$/);
    }
    expect(s.admin_users).toBeTruthy();
    expect(s.stats_users).toBeTruthy();
    // 1.18 (Debian 12) refuses to load settings it does not know.
    expect(s).not.toHaveProperty('max_prepared_statements');
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('static scan of src/ for session features', () => {
  const files = sourceFiles(join(projectRoot, 'src'));
  const rules: [string, RegExp][] = [
    ['named prepared statement (query config with name:)', /\bquery\(\s*\{[^}]*\bname\s*:/s],
    ['LISTEN/NOTIFY subscription', /['"`]\s*(UN)?LISTEN\b/i],
    ['session advisory lock', /pg_(try_)?advisory_lock(_shared)?\s*\(/i],
    ['session SET (use SET LOCAL)', /(^|['"`;]\s*)SET\s+(SESSION\s+)?(?!LOCAL\b)[a-z_.]+\s*(=|TO\b)/im],
    ['temporary table', /CREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\s+TABLE/i],
  ];
  it.each(rules)('no %s', (_what, pattern) => {
    const offenders = files.filter((f) => pattern.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});

const twoServerConnections = { default_pool_size: 2, min_pool_size: 0, reserve_pool_size: 0 };

describe.skipIf(skip)('canaries: this PgBouncer really pools by transaction', () => {
  // Its own PgBouncer: the canaries leave exactly the state the app must never leave.
  let fx: BouncerFixture;
  beforeAll(async () => { fx = await startBouncerFixture(twoServerConnections); });
  afterAll(async () => { await fx?.close(); });

  it('canary: a named prepared statement fails once its client lands on another server connection', async () => {
    const a = new pg.Client({ connectionString: fx.appUrl });
    const b = new pg.Client({ connectionString: fx.appUrl });
    await a.connect();
    await b.connect();
    try {
      const named = { name: 'wallet_count', text: 'SELECT count(*) FROM wallets WHERE balance >= $1', values: ['0'] };
      await a.query(named); // Parse + Bind + Execute on server connection S1, which then goes back to the pool
      await b.query('BEGIN');
      const heldByB = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid; // B now holds S1
      const aPid = (await a.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect(aPid).not.toBe(heldByB);
      // node-postgres remembers it prepared "wallet_count" and sends only Bind + Execute: S2 never saw it.
      await expect(a.query(named)).rejects.toMatchObject({ code: '26000' });
      await b.query('COMMIT');
    } finally {
      await a.end().catch(() => undefined);
      await b.end().catch(() => undefined);
    }
  });

  it('canary: a session SET leaks to another client through the shared server connection', async () => {
    const a = new pg.Client({ connectionString: fx.appUrl });
    await a.connect();
    try {
      await a.query("SET lock_timeout = '1234ms'");
      const b = new pg.Client({ connectionString: fx.appUrl });
      await b.connect();
      try {
        const seen = (await b.query<{ v: string }>("SELECT current_setting('lock_timeout') AS v")).rows[0]!.v;
        expect(seen).toBe('1234ms'); // the reason the app only ever uses SET LOCAL
      } finally {
        await b.end();
      }
    } finally {
      await a.query('RESET lock_timeout');
      await a.end();
    }
  });

});

describe.skipIf(skip)('the app through a 2-connection PgBouncer pool', () => {
  let fx: BouncerFixture;
  beforeAll(async () => { fx = await startBouncerFixture(twoServerConnections); });
  afterAll(async () => { await fx?.close(); });
  const t = useTestApp({ poolSizeMax: 8 }, { url: () => fx.appUrl });

  it('leaves no session state on the server connections it used (prepared statements, settings, LISTEN, advisory locks, temp tables)', async () => {
    const wallets = await Promise.all(Array.from({ length: 4 }, () => createWallet(t.app)));
    const requests = Array.from({ length: 200 }, (_, i) => operate(t.app, wallets[i % 4]!,
      { operation_type: i % 5 === 4 ? 'WITHDRAW' : 'DEPOSIT', amount: '1.00' },
      i % 2 === 0 ? { 'idempotency-key': `tp-${i}-${wallets[i % 4]}` } : {}));
    const statuses = (await Promise.all(requests)).map((r) => r.statusCode);
    expect(statuses.every((s) => s === 200 || s === 400)).toBe(true);
    for (const id of wallets) expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` })).statusCode).toBe(200);

    // Both server connections at once: two clients each inside a transaction.
    const probes = [new pg.Client({ connectionString: fx.appUrl }), new pg.Client({ connectionString: fx.appUrl })];
    await Promise.all(probes.map((p) => p.connect()));
    try {
      await Promise.all(probes.map((p) => p.query('BEGIN')));
      const states = await Promise.all(probes.map(async (p) => (await p.query(`
        SELECT pg_backend_pid() AS pid,
               (SELECT count(*) FROM pg_prepared_statements)::int AS prepared,
               (SELECT count(*) FROM pg_listening_channels())::int AS listening,
               current_setting('lock_timeout') AS lock_timeout,
               current_setting('statement_timeout') AS statement_timeout,
               pg_my_temp_schema()::int AS temp_schema`)).rows[0]));
      expect(new Set(states.map((s) => s.pid)).size).toBe(2);
      for (const s of states) expect(s).toMatchObject({ prepared: 0, listening: 0, lock_timeout: '0', statement_timeout: '0', temp_schema: 0 });
      await Promise.all(probes.map((p) => p.query('COMMIT')));
    } finally {
      await Promise.all(probes.map((p) => p.end().catch(() => undefined)));
    }
    const advisory = await fx.admin.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`);
    expect(advisory.rows[0].n).toBe(0);
  });
});
