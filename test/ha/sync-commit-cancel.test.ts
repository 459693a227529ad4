/**
 * The "invisible commit" of synchronous replication: when a COMMIT's wait for the synchronous
 * standby is cut short (a cancel, a timeout), PostgreSQL keeps the commit locally and answers it
 * as successful with only a WARNING ("canceling wait for synchronous replication ... already
 * committed locally"). After a failover that commit may be gone, so the service must never answer
 * SUCCESS for it: PENDING, and the GET tells the truth later.
 *
 * Here a PostgreSQL of its own has `synchronous_standby_names` naming a standby that does not
 * exist, so every write COMMIT waits until something cuts the wait.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';
import { buildTestApp, createWallet, operate, type UsedTestApp, waitFor } from '../support/test-app.js';

let home: string;
let server: EmbeddedPostgres;
let admin: pg.Pool;

/** Every COMMIT that wrote something now waits for a standby that never comes. */
async function requireGhostStandby(on: boolean): Promise<void> {
  await admin.query(on ? `ALTER SYSTEM SET synchronous_standby_names = 'ghost_standby'` : 'ALTER SYSTEM RESET synchronous_standby_names');
  await admin.query('SELECT pg_reload_conf()');
  // The reload reaches each backend at its next command; a new connection sees it at once.
  await waitFor(async () => {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    try {
      const r = await c.query<{ s: string }>(`SELECT current_setting('synchronous_standby_names') AS s`);
      return (r.rows[0]!.s === 'ghost_standby') === on ? true : undefined;
    } finally {
      await c.end();
    }
  }, 10_000, 'synchronous_standby_names to change');
}

async function operationStatus(t: UsedTestApp, walletId: string, operationId: string): Promise<{ http: number; status?: string }> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${walletId}/operations/${operationId}` });
  return { http: res.statusCode, status: res.statusCode === 200 ? (res.json() as { status: string }).status : undefined };
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'wallet-synccancel-'));
  chmodSync(home, 0o755); // PostgreSQL runs as the postgres user when we are root
  server = await startEmbeddedPostgres({
    dataDir: join(home, 'pgdata'), port: await freePort(),
    settings: { synchronous_commit: 'on', fsync: 'on' },
  });
  await migrate(server.url, { forceUnlock: true });
  admin = new pg.Pool({ connectionString: server.url, max: 3 });
  admin.on('error', () => undefined);
});

afterAll(async () => {
  await admin?.query('ALTER SYSTEM RESET synchronous_standby_names').catch(() => undefined);
  await admin?.end();
  await server?.stop(); // fast shutdown also ends any backend still waiting for the ghost standby
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('a COMMIT whose synchronous-replication wait is cut short', () => {
  it('is never answered SUCCESS when the wait outlives the statement timeout; the GET later tells the truth', async () => {
    // 300 ms statement timeout; the client's query timeout is 1.3 s (statement timeout + 1 s).
    const t = await buildTestApp({ statementTimeoutMs: 300, operationBudgetMs: 4000 }, { url: server.url, ownerUrl: server.url });
    try {
      const walletId = await createWallet(t.app);
      await requireGhostStandby(true);
      const res = await operate(t.app, walletId, { operation_type: 'DEPOSIT', amount: '12.34' }, { 'idempotency-key': 'sync-timeout-1' });
      const body = res.json() as { id: string; status: string };
      expect(body.status).not.toBe('SUCCESS');
      expect(body.status).toBe('PENDING');

      // Replication "comes back" (the requirement is lifted): the local commit is the truth here.
      await requireGhostStandby(false);
      const truth = await waitFor(async () => {
        const s = await operationStatus(t, walletId, body.id);
        return s.http === 200 || s.http === 404 ? s : undefined;
      }, 15_000, 'the GET to answer');
      const stored = await admin.query<{ n: string }>('SELECT count(*)::text AS n FROM operations WHERE id = $1', [body.id]);
      expect(truth.http).toBe(Number(stored.rows[0]!.n) === 1 ? 200 : 404);
      // A keyed retry resolves it the same way and applies nothing twice.
      const retry = await operate(t.app, walletId, { operation_type: 'DEPOSIT', amount: '12.34' }, { 'idempotency-key': 'sync-timeout-1' });
      expect(retry.json().status).toBe('SUCCESS');
      const balance = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${walletId}` });
      expect(balance.json().balance).toBe('12.34');
    } finally {
      await requireGhostStandby(false);
    }
  });

  it('is answered PENDING when the wait is cancelled (PostgreSQL WARNING "canceling wait for synchronous replication")', async () => {
    const t = await buildTestApp({ statementTimeoutMs: 5000, operationBudgetMs: 8000 }, { url: server.url, ownerUrl: server.url });
    try {
      const walletId = await createWallet(t.app);
      await requireGhostStandby(true);
      const answer = operate(t.app, walletId, { operation_type: 'DEPOSIT', amount: '5.00' }, { 'idempotency-key': 'sync-cancel-1' });
      // The batch's backend waits in SyncRep; cancel that wait (as a failover tool or an operator might).
      const pid = await waitFor(async () => {
        const r = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep' LIMIT 1`);
        return r.rows[0]?.pid;
      }, 10_000, 'a backend waiting for the synchronous standby');
      await admin.query('SELECT pg_cancel_backend($1)', [pid]);
      const body = (await answer).json() as { id: string; status: string; balance: string | null };
      expect(body.status).not.toBe('SUCCESS');
      expect(body.status).toBe('PENDING');
      expect(body.balance).toBeNull();

      // The commit is durable locally: the GET says so (on this single node that is the truth).
      await requireGhostStandby(false);
      const truth = await operationStatus(t, walletId, body.id);
      expect(truth).toEqual({ http: 200, status: 'SUCCESS' });
      const balance = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${walletId}` });
      expect(balance.json().balance).toBe('5.00');
    } finally {
      await requireGhostStandby(false);
    }
  });
});
