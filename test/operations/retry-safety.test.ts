/**
 * Transient faults mid-operation end in exactly one application, and an ambiguous COMMIT is
 * answered with the truth. Faults are real: a terminated backend, a held row lock, and a
 * connection cut around COMMIT by a proxy in front of the real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { useFaultProxy } from '../support/fault-proxy.js';
import { balanceOf, createWallet, operate, testConfig, useAdminPool, useTestApp, waitFor } from '../support/test-app.js';

const admin = useAdminPool();

async function ledgerCount(walletId: string): Promise<number> {
  const r = await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM operations WHERE wallet_id = $1 AND status = 'SUCCESS'`, [walletId]);
  return Number(r.rows[0]!.n);
}

describe('terminated backend and lock timeouts', () => {
  const t = useTestApp({ lockTimeoutMs: 10_000 });

  it('pg_terminate_backend on the serving backend mid-operation: applied exactly once', async () => {
    const id = await createWallet(t.app);
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [id]);
      const pending = operate(t.app, id, { operation_type: 'DEPOSIT', amount: '7.00' });
      const victim = await waitFor(async () => (await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%apply_operations%'
            AND $1 = ANY (pg_blocking_pids(pid))`, [(await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid])).rows[0],
      10_000, 'the operation to wait on the lock');
      await admin.query('SELECT pg_terminate_backend($1)', [victim.pid]);
      await holder.query('COMMIT');
      const res = await pending;
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'SUCCESS', balance: '7.00' });
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    expect(await balanceOf(t.app, id)).toBe('7.00');
    expect(await ledgerCount(id)).toBe(1);
  });
});

describe('lock_timeout (55P03) storms', () => {
  const t = useTestApp({ lockTimeoutMs: 50, retryAttemptsMax: 50, operationBudgetMs: 20_000, retryMaxDelayMs: 50 });

  it('operations retry past lock timeouts and apply once when the lock is released', async () => {
    const id = await createWallet(t.app);
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [id]);
      const pending = Promise.all(Array.from({ length: 5 }, () => operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' })));
      // each retry after a 55P03 starts a new statement: wait until several have been seen
      const attemptsSeen = new Set<string>();
      await waitFor(async () => {
        const r = await admin.query<{ started: string }>(
          `SELECT query_start::text AS started FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE '%apply_operations%'`);
        for (const row of r.rows) attemptsSeen.add(row.started);
        return attemptsSeen.size >= 10 ? true : undefined;
      }, 15_000, 'lock-timeout retries');
      await holder.query('COMMIT');
      const results = await pending;
      expect(results.map((r) => r.json().status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    expect(await balanceOf(t.app, id)).toBe('5.00');
    expect(await ledgerCount(id)).toBe(5);
  });
});

describe('connection lost around COMMIT', () => {
  const proxy = useFaultProxy();
  const t = useTestApp({ retryAttemptsMax: 4, operationBudgetMs: 3000 }, { url: () => proxy.url });

  it('COMMIT lost before the server: not applied, the retry applies it once', async () => {
    const id = await createWallet(t.app);
    proxy.injectOnCommit('before-commit', 1);
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '3.00' });
    expect(proxy.faultsInjected).toBeGreaterThan(0);
    expect(res.json()).toMatchObject({ status: 'SUCCESS', balance: '3.00' });
    expect(await balanceOf(t.app, id)).toBe('3.00');
    expect(await ledgerCount(id)).toBe(1);
  });

  it('COMMIT applied but its answer lost: the retry finds it and answers SUCCESS, applied once', async () => {
    const id = await createWallet(t.app);
    const injectedBefore = proxy.faultsInjected;
    proxy.injectOnCommit('after-commit', 1);
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '4.00' });
    expect(proxy.faultsInjected).toBe(injectedBefore + 1);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 'SUCCESS', balance: '4.00' });
    expect(await balanceOf(t.app, id)).toBe('4.00');
    expect(await ledgerCount(id)).toBe(1);
    // the answered id is the stored one
    const stored = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations/${body.id}` });
    expect(stored.json()).toMatchObject({ id: body.id, status: 'SUCCESS' });
  });

  it('every COMMIT answer lost: PENDING with the id, and the GET tells the truth (applied once)', async () => {
    const id = await createWallet(t.app);
    proxy.injectOnCommit('after-commit', 1000);
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '6.00' });
    proxy.clearFaults();
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 'PENDING', balance: null, amount: '6.00', wallet_id: id });
    expect(body.detail).toMatch(/GET the operation/);
    const stored = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations/${body.id}` });
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toMatchObject({ id: body.id, status: 'SUCCESS', balance: '6.00' });
    expect(await ledgerCount(id)).toBe(1);
  });

  it('every COMMIT lost before the server: FAILED, and nothing was applied', async () => {
    const id = await createWallet(t.app);
    proxy.injectOnCommit('before-commit', 1000);
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '6.00' });
    proxy.clearFaults();
    const body = res.json();
    // a COMMIT that died on the way is indistinguishable, for the client, from one that died on
    // the way back: the honest answer is PENDING, and the GET then says it was not applied
    expect(['PENDING', 'FAILED']).toContain(body.status);
    const stored = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations/${body.id}` });
    expect(stored.statusCode).toBe(404);
    expect(await balanceOf(t.app, id)).toBe('0.00');
  });
});

describe('database unreachable', () => {
  // a port with nothing listening: every connection attempt is refused. Without access control:
  // a key could not be verified either (503, test/auth/access-control.test.ts); this is about the
  // money path's answers, which a key cached before the outage reaches.
  const t = useTestApp({ retryAttemptsMax: 3, readBudgetMs: 1000, operationBudgetMs: 1000, poolConnectTimeoutMs: 500,
    auth: { ...testConfig().auth, required: false } }, { url: 'postgres://postgres:x@127.0.0.1:1/postgres' });

  it('reads and wallet creation answer 503 with a detail and Retry-After, not a hang', async () => {
    const started = Date.now();
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/wallets/00000000-0000-4000-8000-000000000000' });
    expect(read.statusCode).toBe(503);
    expect(read.json()).toEqual({ detail: 'Database unavailable, please retry later' });
    expect(read.headers['retry-after']).toBe('1');
    const create = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/' });
    expect(create.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('an operation answers 200 FAILED: certainly not applied', async () => {
    const res = await operate(t.app, '00000000-0000-4000-8000-000000000000', { operation_type: 'DEPOSIT', amount: '1.00' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'FAILED', balance: null, amount: '1.00', operation_type: 'DEPOSIT',
      detail: 'Database unavailable; the operation was not applied, please retry',
    });
  });
});
