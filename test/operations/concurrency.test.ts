/** One wallet, many concurrent requests over real HTTP: exact balances, every request answered. */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCents } from '../../src/lib/cents.js';
import { balanceOf, createWallet, useAdminPool, useTestApp, waitFor } from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();
let base: string;
beforeAll(async () => { base = await t.app.listen({ port: 0, host: '127.0.0.1' }); });

async function post(walletId: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/v1/wallets/${walletId}/operation`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...t.authHeaders }, body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
}


async function ledgerSum(walletId: string): Promise<string> {
  const r = await admin.query<{ sum: string }>(
    `SELECT coalesce(sum(CASE operation_type WHEN 'DEPOSIT' THEN amount ELSE -amount END), 0)::numeric(18,2)::text AS sum
       FROM operations WHERE wallet_id = $1 AND status = 'SUCCESS'`, [walletId]);
  return r.rows[0]!.sum;
}

describe('one hot wallet', () => {
  it('1000 concurrent deposits of 0.01 end at exactly 10.00', async () => {
    const id = await createWallet(t.app);
    const results = await Promise.all(Array.from({ length: 1000 }, () => post(id, { operation_type: 'DEPOSIT', amount: '0.01' })));
    expect(results.filter((r) => r.status === 200 && r.json.status === 'SUCCESS')).toHaveLength(1000);
    expect(await balanceOf(t.app, id)).toBe('10.00');
    expect(await ledgerSum(id)).toBe('10.00');
    // every answer carries a distinct balance: each operation saw the one before it
    const balances = new Set(results.map((r) => r.json.balance));
    expect(balances.size).toBe(1000);
  });

  it('100 concurrent withdrawals of 1.00 from 50.00: exactly 50 succeed, 50 are refused, balance 0.00', async () => {
    const id = await createWallet(t.app);
    expect((await post(id, { operation_type: 'DEPOSIT', amount: '50.00' })).status).toBe(200);
    const results = await Promise.all(Array.from({ length: 100 }, () => post(id, { operation_type: 'WITHDRAW', amount: '1.00' })));
    expect(results.filter((r) => r.status === 200 && r.json.status === 'SUCCESS')).toHaveLength(50);
    const refused = results.filter((r) => r.status === 400);
    expect(refused).toHaveLength(50);
    expect(refused[0]!.json.detail).toBe('Insufficient funds: balance 0.00, requested 1.00');
    expect(await balanceOf(t.app, id)).toBe('0.00');
  });

  it('mixed deposits and withdrawals reconcile with the ledger and the answers', async () => {
    const id = await createWallet(t.app);
    const amounts = Array.from({ length: 400 }, (_, i) => `${(i % 7) + 1}.${String((i * 37) % 100).padStart(2, '0')}`);
    const results = await Promise.all(amounts.map((amount, i) =>
      post(id, { operation_type: i % 3 === 0 ? 'WITHDRAW' : 'DEPOSIT', amount }).then((r) => ({ ...r, amount, i }))));
    expect(results.every((r) => r.status === 200 || r.status === 400)).toBe(true);
    let expected = 0n;
    for (const r of results) {
      if (r.status === 200) expected += (r.i % 3 === 0 ? -1n : 1n) * parseCents(r.amount);
    }
    const balance = await balanceOf(t.app, id);
    expect(parseCents(balance)).toBe(expected);
    expect(await ledgerSum(id)).toBe(balance);
    // the balance_after chain is consistent in ledger order
    const chain = await admin.query<{ bad: string }>(
      `SELECT count(*)::text AS bad FROM (
         SELECT balance_after, lag(balance_after, 1, 0::numeric) OVER w AS before, operation_type, amount, status
           FROM operations WHERE wallet_id = $1 WINDOW w AS (ORDER BY seq)) c
        WHERE status = 'SUCCESS' AND balance_after <> before + CASE operation_type WHEN 'DEPOSIT' THEN amount ELSE -amount END`, [id]);
    expect(chain.rows[0]!.bad).toBe('0');
  });
});

describe('row lock', () => {
  it('an operation waits on the wallet row lock held by another transaction, then completes', async () => {
    const id = await createWallet(t.app);
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [id]);
      const pending = post(id, { operation_type: 'DEPOSIT', amount: '5.00' });
      // observably waiting on a lock held by the holder's backend
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const waiting = await waitFor(async () => {
        const r = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE '%apply_operations%' AND $1 = ANY (pg_blocking_pids(pid))`, [holderPid]);
        return r.rows[0];
      }, 10_000, 'the operation to wait on the row lock');
      expect(waiting.pid).toBeGreaterThan(0);
      expect(await balanceOf(t.app, id)).toBe('0.00');
      await holder.query('COMMIT');
      const done = await pending;
      expect(done.status).toBe(200);
      expect(done.json).toMatchObject({ status: 'SUCCESS', balance: '5.00' });
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
  });
});

