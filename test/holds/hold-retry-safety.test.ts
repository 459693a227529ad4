/**
 * Holds keep the operations' outcome rules when the connection is cut around COMMIT (a proxy in
 * front of the real PostgreSQL): a placement or capture whose COMMIT answer was lost is found by
 * the retry and applied once; when no attempt can tell, the answer is PENDING with the hold's id,
 * and GET /holds/{id} tells the truth.
 */
import { describe, expect, it } from 'vitest';
import { useFaultProxy } from '../support/fault-proxy.js';
import { balanceOf, createWallet, operate, useAdminPool, useTestApp } from '../support/test-app.js';

const admin = useAdminPool();
const proxy = useFaultProxy();
const t = useTestApp({ retryAttemptsMax: 4, operationBudgetMs: 3000 }, { url: () => proxy.url });

async function funded(amount: string): Promise<string> {
  const id = await createWallet(t.app);
  expect((await operate(t.app, id, { operation_type: 'DEPOSIT', amount })).statusCode).toBe(200);
  return id;
}

const place = (walletId: string, amount: string) => t.app.inject({ method: 'POST', url: `/api/v1/wallets/${walletId}/holds`, payload: { amount } });
const capture = (holdId: string, amount: string) => t.app.inject({ method: 'POST', url: `/api/v1/holds/${holdId}/capture`, payload: { amount } });

async function rows(walletId: string): Promise<{ holds: number; captures: number }> {
  const r = await admin.query<{ holds: number; captures: number }>(`SELECT
    (SELECT count(*)::int FROM holds WHERE wallet_id = $1) AS holds,
    (SELECT count(*)::int FROM operations WHERE wallet_id = $1 AND operation_type = 'CAPTURE') AS captures`, [walletId]);
  return r.rows[0]!;
}

describe('holds with the connection lost around COMMIT', () => {
  it('a placement whose COMMIT answer was lost: the retry finds the hold and answers HELD, placed once', async () => {
    const w = await funded('10.00');
    const before = proxy.faultsInjected;
    proxy.injectOnCommit('after-commit', 1);
    const res = await place(w, '4.00');
    expect(proxy.faultsInjected).toBe(before + 1);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'HELD', amount: '4.00', available_balance: '6.00' });
    expect(await rows(w)).toEqual({ holds: 1, captures: 0 });
  });

  it('a capture whose COMMIT answer was lost: the retry finds its own capture (not a 409), captured once', async () => {
    const w = await funded('10.00');
    const hold = (await place(w, '4.00')).json();
    proxy.injectOnCommit('after-commit', 1);
    const res = await capture(hold.id, '3.00');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: hold.id, status: 'CAPTURED', captured_amount: '3.00', available_balance: '7.00' });
    expect(await rows(w)).toEqual({ holds: 1, captures: 1 });
    expect(await balanceOf(t.app, w)).toBe('7.00');
  });

  it('every COMMIT answer lost: PENDING with the hold id, and GET /holds/{id} tells the truth', async () => {
    const w = await funded('10.00');
    proxy.injectOnCommit('after-commit', 1000);
    const placed = await place(w, '5.00');
    proxy.clearFaults();
    expect(placed.statusCode).toBe(200);
    const body = placed.json();
    expect(body).toMatchObject({ status: 'PENDING', amount: '5.00', wallet_id: w, available_balance: null });
    expect(body.detail).toMatch(/GET the operation/);
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/holds/${body.id}` });
    expect(got.json()).toMatchObject({ id: body.id, status: 'HELD', available_balance: '5.00' });

    proxy.injectOnCommit('after-commit', 1000);
    const captured = await capture(body.id, '5.00');
    proxy.clearFaults();
    expect(captured.json()).toMatchObject({ id: body.id, status: 'PENDING', available_balance: null });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/holds/${body.id}` })).json())
      .toMatchObject({ status: 'CAPTURED', captured_amount: '5.00' });
    expect(await rows(w)).toEqual({ holds: 1, captures: 1 });
    expect(await balanceOf(t.app, w)).toBe('5.00');
  });
});
