/**
 * Reversals: POST /api/v1/wallets/{w}/operations/{id}/reverse and POST /api/v1/transfers/{id}/reverse.
 * A compensating entry linked both ways, at most once (409; a keyed retry replays), 400 when it
 * would take a balance below zero, through the engine, and reconcile still passes.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { balanceOf, createWallet, operate, useAdminPool, useTestApp } from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

const reverseOp = (w: string, id: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/api/v1/wallets/${w}/operations/${id}/reverse`, headers });
const reverseTransfer = (id: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/api/v1/transfers/${id}/reverse`, headers });
const transfer = (from: string, to: string, amount: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/transfers', payload: { from_wallet_id: from, to_wallet_id: to, amount } });

describe('reversing a deposit or a withdrawal', () => {
  it('takes a deposit back, linked both ways, at most once', async () => {
    const w = await createWallet(t.app);
    const deposit = (await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '30.00' })).json();
    await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '5.00' });
    const res = await reverseOp(w, deposit.id);
    expect(res.statusCode).toBe(200);
    const reversal = res.json();
    expect(reversal).toMatchObject({ wallet_id: w, operation_type: 'REVERSAL_OUT', amount: '30.00', status: 'SUCCESS',
      balance: '5.00', reverses_id: deposit.id });
    expect(await balanceOf(t.app, w)).toBe('5.00');
    // linked both ways: GET of each, and history
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/operations/${deposit.id}` })).json())
      .toMatchObject({ reversed_by: reversal.id });
    const history = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/operations` })).json();
    expect(history.items[0]).toMatchObject({ id: reversal.id, operation_type: 'REVERSAL_OUT', reverses_id: deposit.id });
    expect(history.items[2]).toMatchObject({ id: deposit.id, reversed_by: reversal.id });
    // a second attempt is 409
    const again = await reverseOp(w, deposit.id);
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain(reversal.id);
    expect(await balanceOf(t.app, w)).toBe('5.00');
  });

  it('gives a withdrawal back; refuses with 400 a reversal the balance cannot pay; 404 and 409 for what cannot be reversed', async () => {
    const w = await createWallet(t.app);
    await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '10.00' });
    const withdrawal = (await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '4.00' })).json();
    const back = await reverseOp(w, withdrawal.id);
    expect(back.json()).toMatchObject({ operation_type: 'REVERSAL_IN', amount: '4.00', balance: '10.00', reverses_id: withdrawal.id });

    const big = (await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '50.00' })).json();
    await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '55.00' });
    const short = await reverseOp(w, big.id);
    expect(short.statusCode).toBe(400);
    expect(short.json()).toEqual({ detail: 'Insufficient funds: balance 5.00, requested 50.00' });
    expect(await balanceOf(t.app, w)).toBe('5.00');

    expect((await reverseOp(w, randomUUID())).json()).toEqual({ detail: 'Operation not found' });
    expect((await reverseOp(randomUUID(), big.id)).json()).toEqual({ detail: 'Wallet not found' });
    const ofReversal = await reverseOp(w, back.json().id);
    expect(ofReversal.statusCode).toBe(409);
    expect(ofReversal.json()).toEqual({ detail: 'A reversal cannot itself be reversed' });
  });

  it('a keyed retry replays (also many at once), and applies once', async () => {
    const w = await createWallet(t.app);
    const deposit = (await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '7.00' })).json();
    const key = { 'idempotency-key': `rev-${randomUUID()}` };
    const answers = await Promise.all(Array.from({ length: 6 }, () => reverseOp(w, deposit.id, key)));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotency-replayed'] === 'true')).toHaveLength(5);
    expect(await balanceOf(t.app, w)).toBe('0.00');
    const later = await reverseOp(w, deposit.id, key);
    expect(later.headers['idempotency-replayed']).toBe('true');
    expect(later.json()).toEqual(answers[0]!.json());
    // concurrent unkeyed attempts: exactly one applies
    const other = (await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '3.00' })).json();
    const racing = await Promise.all(Array.from({ length: 6 }, () => reverseOp(w, other.id)));
    expect(racing.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(await balanceOf(t.app, w)).toBe('0.00');
    const rows = await admin.query(`SELECT count(*)::int AS n FROM operations WHERE wallet_id = $1 AND reverses_id IS NOT NULL`, [w]);
    expect(rows.rows[0].n).toBe(2);
  });
});

describe('reversing a transfer', () => {
  it('pays it back from the target to the source in one transaction, legs linked, at most once', async () => {
    const [a, b] = [await createWallet(t.app), await createWallet(t.app)];
    await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '100.00' });
    const original = (await transfer(a, b, '40.00')).json();
    const res = await reverseTransfer(original.id);
    expect(res.statusCode).toBe(200);
    const back = res.json();
    expect(back).toMatchObject({ from_wallet_id: b, to_wallet_id: a, amount: '40.00', status: 'SUCCESS',
      from_balance: '0.00', to_balance: '100.00', reverses_id: original.id });
    expect(await balanceOf(t.app, a)).toBe('100.00');
    expect(await balanceOf(t.app, b)).toBe('0.00');
    const legs = await admin.query(`SELECT wallet_id::text, operation_type, reverses_id::text, counterparty_wallet_id::text
      FROM operations WHERE id = $1 ORDER BY operation_type`, [back.id]);
    expect(legs.rows).toEqual([
      { wallet_id: a, operation_type: 'REVERSAL_IN', reverses_id: original.id, counterparty_wallet_id: b },
      { wallet_id: b, operation_type: 'REVERSAL_OUT', reverses_id: original.id, counterparty_wallet_id: a },
    ]);
    expect((await reverseTransfer(original.id)).statusCode).toBe(409);
    expect((await reverseTransfer(randomUUID())).json()).toEqual({ detail: 'Transfer not found' });
    // the legs are not reversible as operations
    const asOperation = await reverseOp(a, original.id);
    expect(asOperation.statusCode).toBe(409);
    expect(asOperation.json().detail).toContain('/api/v1/transfers/{id}/reverse');

    const report = await reconcile(admin, { walletIds: [a, b] });
    expect(report.mismatches).toEqual([]);
    expect(report.totals).toMatchObject({ balances: '100.00', deposits: '100.00', reversalsOut: '40.00', reversalsIn: '40.00' });
  });

  it('is refused with 400 when the target cannot pay it back, and a keyed refusal replays', async () => {
    const [a, b] = [await createWallet(t.app), await createWallet(t.app)];
    await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '10.00' });
    const original = (await transfer(a, b, '10.00')).json();
    await operate(t.app, b, { operation_type: 'WITHDRAW', amount: '1.00' });
    const key = { 'idempotency-key': `rev-${randomUUID()}` };
    const res = await reverseTransfer(original.id, key);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ detail: 'Insufficient funds: the target wallet cannot pay back 10.00' });
    await operate(t.app, b, { operation_type: 'DEPOSIT', amount: '1.00' });
    const replay = await reverseTransfer(original.id, key);
    expect(replay.statusCode).toBe(400);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    // without the key, now that the target can pay, it applies
    expect((await reverseTransfer(original.id)).json()).toMatchObject({ status: 'SUCCESS', from_balance: '0.00', to_balance: '10.00' });
    const report = await reconcile(admin, { walletIds: [a, b] });
    expect(report.mismatches).toEqual([]);
  });
});

describe('the database guards reversals', () => {
  it('refuses a second applied reversal of one original and a reversal of a row that does not exist', async () => {
    const w = await createWallet(t.app);
    const deposit = (await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '9.00' })).json();
    await reverseOp(w, deposit.id);
    const insert = (reverses: string) => admin.query(
      `INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status, reverses_id)
       VALUES ($1, gen_random_uuid(), 999, 'REVERSAL_OUT', 9, 0, 'SUCCESS', $2)`, [w, reverses]);
    await expect(insert(deposit.id)).rejects.toThrow(/operations_reversed_once/);
    await expect(insert(randomUUID())).rejects.toThrow(/operations_reverses_fkey/);
  });
});
