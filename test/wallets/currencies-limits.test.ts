/** Issue 22: currencies and assets with their own scale, balance limits and status, judged in the engine's batch. */
import { describe, expect, it } from 'vitest';
import { authRequired, balanceOf, operate, useAdminPool, useTestApp } from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

async function create(body: unknown) {
  return t.app.inject({ method: 'POST', url: '/api/v1/wallets', payload: body as object });
}

async function wallet(body: unknown): Promise<string> {
  const res = await create(body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

async function history(walletId: string) {
  return (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${walletId}/operations` })).json<{ items: unknown[] }>().items;
}

const transfer = (from: string, to: string, amount: string) => t.app.inject({ method: 'POST', url: '/api/v1/transfers',
  payload: { from_wallet_id: from, to_wallet_id: to, amount } });

describe('currencies and scales', () => {
  it('a wallet with no body is USD with two decimals and the default bounds', async () => {
    const res = await create(undefined);
    expect(res.json()).toMatchObject({ balance: '0.00', available_balance: '0.00', currency: 'USD', scale: 2, metadata: {},
      min_balance: '0.00', max_balance: '9999999999999999.99', status: 'ACTIVE', external_id: null });
  });

  it.each([
    ['JPY', 0, '100', '100', '0', '9999999999999999'],
    ['KWD', 3, '1', '1.000', '0.000', '9999999999999999.999'],
    ['EUR', 2, '0.5', '0.50', '0.00', '9999999999999999.99'],
  ])('%s has %i decimals: a deposit of %s answers %s', async (currency, scale, amount, shown, zero, max) => {
    const res = await create({ currency });
    expect(res.json()).toMatchObject({ currency, scale, balance: zero, min_balance: zero, max_balance: max });
    const id = res.json<{ id: string }>().id;
    const deposit = await operate(t.app, id, { operation_type: 'DEPOSIT', amount });
    expect(deposit.statusCode).toBe(200);
    expect(deposit.json()).toMatchObject({ amount: shown, balance: shown });
    expect(await balanceOf(t.app, id)).toBe(shown);
  });

  it('more decimals than the scale is 422, nothing stored; a JSON number is taken by its text', async () => {
    const jpy = await wallet({ currency: 'JPY' });
    for (const amount of ['100.5', '100.00']) {
      const res = await operate(t.app, jpy, { operation_type: 'DEPOSIT', amount });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({ detail: [{ loc: ['body', 'amount'], msg: 'Decimal input should have no more than 0 decimal places',
        type: 'decimal_max_places' }] });
    }
    const raw = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${jpy}/operation`, headers: { 'content-type': 'application/json' },
      payload: '{"operation_type": "DEPOSIT", "amount": 5.0}' });
    expect(raw.statusCode).toBe(422);
    expect(await balanceOf(t.app, jpy)).toBe('0');
    expect(await history(jpy)).toEqual([]);
    const usd = await wallet({});
    const cents = await operate(t.app, usd, { operation_type: 'DEPOSIT', amount: '1.001' });
    expect(cents.json()).toEqual({ detail: [{ loc: ['body', 'amount'], msg: 'Decimal input should have no more than 2 decimal places',
      type: 'decimal_max_places' }] });
  });

  it('an unknown currency is 422', async () => {
    const res = await create({ currency: 'XYZ' });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ loc: ['body', 'currency'] });
  });

  it('a tenant asset has its own scale, which never changes; an ISO code is not an asset', async () => {
    const code = `PTS${Math.floor(Math.random() * 1e6)}`;
    const made = await t.app.inject({ method: 'POST', url: '/api/v1/assets', payload: { code, scale: 8 } });
    expect(made.statusCode).toBe(200);
    expect(made.json()).toMatchObject({ code, scale: 8 });
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/assets', payload: { code, scale: 8 } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/assets', payload: { code, scale: 2 } })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/assets', payload: { code: 'EUR', scale: 2 } })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/assets', payload: { code: 'bad', scale: 2 } })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/assets', payload: { code: 'TOKEN', scale: 19 } })).statusCode).toBe(422);
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/assets' })).json<{ items: { code: string }[] }>().items;
    expect(listed.map((a) => a.code)).toContain(code);
    const id = await wallet({ currency: code });
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '0.00000001' });
    expect(res.json()).toMatchObject({ amount: '0.00000001', balance: '0.00000001' });
  });

  it('a transfer between currencies is 422 and stores nothing', async () => {
    const usd = await wallet({});
    const eur = await wallet({ currency: 'EUR' });
    expect((await operate(t.app, usd, { operation_type: 'DEPOSIT', amount: '10.00' })).statusCode).toBe(200);
    const res = await transfer(usd, eur, '1.00');
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toMatch(/different currencies/);
    expect(await balanceOf(t.app, usd)).toBe('10.00');
    expect(await balanceOf(t.app, eur)).toBe('0.00');
    expect(await history(eur)).toEqual([]);
  });

  it('the database holds every money value at the wallet\'s scale', async () => {
    const jpy = await wallet({ currency: 'JPY' });
    await expect(admin.query(`UPDATE wallets SET balance = 1.5 WHERE id = $1`, [jpy])).rejects.toMatchObject({ code: '23514' });
    await expect(admin.query(`UPDATE wallets SET balance = 1e16 WHERE id = $1`, [jpy])).rejects.toMatchObject({ code: '23514' });
  });
});

describe('limits', () => {
  it('min_balance below 0 is an overdraft: debits down to it, never below, the refusal names it', async () => {
    const id = await wallet({ min_balance: '-100.00' });
    expect((await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '60.00' })).json()).toMatchObject({ balance: '-60.00' });
    const refused = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '40.01' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ detail: 'Insufficient funds: balance -60.00, requested 40.01, min_balance -100.00' });
    expect((await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '40.00' })).json()).toMatchObject({ balance: '-100.00' });
    const hold = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/holds`, payload: { amount: '0.01' } });
    expect(hold.statusCode).toBe(400);
    expect(await balanceOf(t.app, id)).toBe('-100.00');
  });

  it('max_balance bounds credits, and the refusal names it', async () => {
    const id = await wallet({ max_balance: '50.00' });
    expect((await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '50.00' })).statusCode).toBe(200);
    const refused = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '0.01' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toBe('Balance limit exceeded: balance 50.00 plus deposit 0.01 would exceed the maximum balance 50.00');
    const other = await wallet({});
    await operate(t.app, other, { operation_type: 'DEPOSIT', amount: '5.00' });
    const moved = await transfer(other, id, '1.00');
    expect(moved.statusCode).toBe(400);
    expect(moved.json().detail).toMatch(/maximum balance 50\.00/);
  });

  it('refuses bounds off the scale, out of order or beyond the largest balance', async () => {
    for (const body of [{ currency: 'JPY', min_balance: '-1.5' }, { min_balance: '10.00', max_balance: '5.00' },
      { max_balance: '10000000000000000' }, { min_balance: 'abc' }]) {
      expect((await create(body)).statusCode, JSON.stringify(body)).toBe(422);
    }
  });
});

describe('status', () => {
  it('FROZEN takes credits and voids but refuses debits, holds and captures; CLOSED refuses everything', async () => {
    const id = await wallet({});
    await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '10.00' });
    const hold = (await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/holds`, payload: { amount: '1.00' } })).json<{ id: string }>();
    await admin.query(`UPDATE wallets SET status = 'FROZEN' WHERE id = $1`, [id]);
    const withdraw = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '1.00' });
    expect(withdraw.statusCode).toBe(400);
    expect(withdraw.json()).toEqual({ detail: 'Wallet is frozen' });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/holds`, payload: { amount: '1.00' } })).json())
      .toEqual({ detail: 'Wallet is frozen' });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/holds/${hold.id}/capture` })).json()).toEqual({ detail: 'Wallet is frozen' });
    expect((await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/holds/${hold.id}/void` })).statusCode).toBe(200);
    expect(await balanceOf(t.app, id)).toBe('11.00');

    const closed = await wallet({});
    await admin.query(`UPDATE wallets SET status = 'CLOSED' WHERE id = $1`, [closed]);
    expect((await operate(t.app, closed, { operation_type: 'DEPOSIT', amount: '1.00' })).json()).toEqual({ detail: 'Wallet is closed' });
    expect((await transfer(id, closed, '1.00')).json()).toEqual({ detail: 'Wallet is closed' });
    expect(await history(closed)).toEqual([]);
    await expect(admin.query(`UPDATE wallets SET status = 'CLOSED' WHERE id = $1`, [id])).rejects.toMatchObject({ code: '23514' });
  });
});

describe('external ids and metadata', () => {
  it('external_id is unique per tenant: the second is 409 naming the first', async () => {
    const externalId = `user-${Math.random()}`;
    const first = await wallet({ external_id: externalId, metadata: { user_id: '42' } });
    const second = await create({ external_id: externalId });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toEqual({ detail: `A wallet with this external_id already exists: ${first}` });
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${first}` });
    expect(got.json()).toMatchObject({ external_id: externalId, metadata: { user_id: '42' } });
  });

  it('refuses metadata beyond the limits or not made of strings', async () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    for (const metadata of [many, { ['k'.repeat(41)]: 'v' }, { k: 'v'.repeat(501) }, { k: { nested: 'x' } }, { k: true }, { k: null },
      ['a'], { '': 'v' }]) {
      expect((await create({ metadata })).statusCode, JSON.stringify(metadata).slice(0, 80)).toBe(422);
    }
    expect((await create({ metadata: { ['k'.repeat(40)]: 'v'.repeat(500) } })).statusCode).toBe(200);
  });
});

describe.runIf(authRequired || !authRequired)('the done-when test', () => {
  it('200 concurrent withdrawals of 1.00 at min_balance -100.00 from 0: 100 SUCCESS, 100 refused, balance -100.00', async () => {
    const id = await wallet({ min_balance: '-100.00' });
    const answers = await Promise.all(Array.from({ length: 200 },
      () => operate(t.app, id, { operation_type: 'WITHDRAW', amount: '1.00' })));
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 400)).toHaveLength(100);
    expect(await balanceOf(t.app, id)).toBe('-100.00');
    const stored = await admin.query<{ n: string; total: string }>(
      `SELECT count(*)::text AS n, sum(amount)::text AS total FROM operations WHERE wallet_id = $1 AND status = 'SUCCESS'`, [id]);
    expect(stored.rows[0]).toEqual({ n: '100', total: '100.00' });
  });
});
