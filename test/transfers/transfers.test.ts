/**
 * POST /api/v1/transfers and GET /api/v1/transfers/{id}: the contract (answers, refusals,
 * idempotency, tenants), the two ledger legs, and history showing them.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authRequired, balanceOf, bearer, buildTestApp, createWallet, makeKey, newTenant, operate, useAdminPool, useTestApp,
} from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

async function transfer(body: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST', url: '/api/v1/transfers',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function funded(amount: string): Promise<string> {
  const id = await createWallet(t.app);
  if (amount !== '0.00') expect((await operate(t.app, id, { operation_type: 'DEPOSIT', amount })).statusCode).toBe(200);
  return id;
}

describe('POST /api/v1/transfers', () => {
  it('moves the amount in one transaction: two legs with the transfer id and the counterparty', async () => {
    const from = await funded('100.00');
    const to = await funded('5.00');
    const res = await transfer({ from_wallet_id: from, to_wallet_id: to, amount: '30.5' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ from_wallet_id: from, to_wallet_id: to, amount: '30.50', status: 'SUCCESS',
      from_balance: '69.50', to_balance: '35.50' });
    expect(Object.keys(body)).toEqual(['id', 'from_wallet_id', 'to_wallet_id', 'amount', 'status', 'from_balance', 'to_balance', 'created_at']);
    expect(await balanceOf(t.app, from)).toBe('69.50');
    expect(await balanceOf(t.app, to)).toBe('35.50');
    const legs = await admin.query(`SELECT wallet_id::text, operation_type, amount::text, balance_after::text,
      counterparty_wallet_id::text, actor FROM operations WHERE id = $1 ORDER BY operation_type DESC`, [body.id]);
    expect(legs.rows).toEqual([
      { wallet_id: from, operation_type: 'TRANSFER_OUT', amount: '30.50', balance_after: '69.50', counterparty_wallet_id: to, actor: t.key?.key_id ?? null },
      { wallet_id: to, operation_type: 'TRANSFER_IN', amount: '30.50', balance_after: '35.50', counterparty_wallet_id: from, actor: t.key?.key_id ?? null },
    ]);

    const got = await t.app.inject({ method: 'GET', url: `/api/v1/transfers/${body.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(body);

    // Each wallet's history shows its leg, and each leg is an operation of its wallet.
    const outHistory = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${from}/operations` })).json();
    expect(outHistory.items[0]).toMatchObject({ id: body.id, operation_type: 'TRANSFER_OUT', amount: '30.50', balance: '69.50', counterparty_wallet_id: to });
    const inHistory = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${to}/operations?operation_type=TRANSFER_IN` })).json();
    expect(inHistory.items).toHaveLength(1);
    expect(inHistory.items[0]).toMatchObject({ id: body.id, operation_type: 'TRANSFER_IN', balance: '35.50', counterparty_wallet_id: from });
    const leg = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${to}/operations/${body.id}` });
    expect(leg.json()).toMatchObject({ operation_type: 'TRANSFER_IN', counterparty_wallet_id: from, status: 'SUCCESS' });
  });

  it('refuses with 400 when the source is short, and changes nothing', async () => {
    const from = await funded('10.00');
    const to = await funded('0.00');
    const res = await transfer({ from_wallet_id: from, to_wallet_id: to, amount: '10.01' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ detail: 'Insufficient funds: balance 10.00, requested 10.01' });
    expect(await balanceOf(t.app, from)).toBe('10.00');
    expect(await balanceOf(t.app, to)).toBe('0.00');
    const rows = await admin.query('SELECT count(*)::int AS n FROM operations WHERE wallet_id = ANY ($1::uuid[])', [[from, to]]);
    expect(rows.rows[0].n).toBe(1); // the deposit only
  });

  it("refuses with 400 when the target would pass the maximum balance", async () => {
    const from = await funded('10.00');
    const to = await funded('9999999999999999.00');
    const res = await transfer({ from_wallet_id: from, to_wallet_id: to, amount: '1.00' });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/^Balance limit exceeded: a transfer of 1.00 would take the target wallet past the maximum balance/);
    expect(await balanceOf(t.app, from)).toBe('10.00');
  });

  it('answers 404 when either wallet is unknown', async () => {
    const w = await funded('10.00');
    for (const body of [{ from_wallet_id: randomUUID(), to_wallet_id: w }, { from_wallet_id: w, to_wallet_id: randomUUID() }]) {
      const res = await transfer({ ...body, amount: '1.00' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ detail: 'Wallet not found' });
    }
    expect(await balanceOf(t.app, w)).toBe('10.00');
  });

  it.runIf(authRequired)("answers 404 when either wallet is another tenant's, and needs wallets:write", async () => {
    const mine = await funded('10.00');
    const other = await buildTestApp();
    const theirs = await createWallet(other.app);
    expect((await operate(other.app, theirs, { operation_type: 'DEPOSIT', amount: '10.00' })).statusCode).toBe(200);
    for (const body of [{ from_wallet_id: mine, to_wallet_id: theirs }, { from_wallet_id: theirs, to_wallet_id: mine }]) {
      const res = await transfer({ ...body, amount: '1.00' });
      expect(res.statusCode).toBe(404);
    }
    expect(await balanceOf(t.app, mine)).toBe('10.00');
    expect(await balanceOf(other.app, theirs)).toBe('10.00');
    const done = await transfer({ from_wallet_id: mine, to_wallet_id: await createWallet(t.app), amount: '1.00' });
    expect((await other.app.inject({ method: 'GET', url: `/api/v1/transfers/${done.json().id}` })).statusCode).toBe(404);
    const readOnly = await makeKey(t.tenant, ['wallets:read']);
    const res = await transfer({ from_wallet_id: mine, to_wallet_id: await createWallet(t.app), amount: '1.00' }, bearer(readOnly.key));
    expect(res.statusCode).toBe(403);
    const unauthenticated = await transfer({ from_wallet_id: mine, to_wallet_id: mine, amount: '1.00' }, { authorization: undefined as never });
    expect(unauthenticated.statusCode).toBe(401);
    expect(newTenant()).not.toBe(t.tenant);
  });

  it('answers 422 for the same wallet twice, a bad amount or bad ids', async () => {
    const w = await funded('10.00');
    const same = await transfer({ from_wallet_id: w, to_wallet_id: w.toUpperCase(), amount: '1.00' });
    expect(same.statusCode).toBe(422);
    expect(same.json()).toEqual({ detail: [{ loc: ['body', 'to_wallet_id'], msg: 'to_wallet_id must differ from from_wallet_id', type: 'value_error' }] });
    for (const body of [
      { from_wallet_id: w, to_wallet_id: randomUUID(), amount: '0' },
      { from_wallet_id: w, to_wallet_id: randomUUID(), amount: '1.001' },
      { from_wallet_id: w, to_wallet_id: randomUUID(), amount: -1 },
      { from_wallet_id: 'nope', to_wallet_id: randomUUID(), amount: '1.00' },
      { from_wallet_id: w, amount: '1.00' },
    ]) {
      const res = await transfer(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(422);
      expect(Array.isArray(res.json().detail)).toBe(true);
    }
    expect(await balanceOf(t.app, w)).toBe('10.00');
  });

  it('GET of an unknown transfer is 404; a bad id is 422', async () => {
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/transfers/${randomUUID()}` })).json()).toEqual({ detail: 'Transfer not found' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/transfers/x' })).statusCode).toBe(422);
  });
});

describe('Idempotency-Key on transfers', () => {
  it('replays the first outcome, never applies twice, and refuses a different body with 422', async () => {
    const from = await funded('50.00');
    const to = await funded('0.00');
    const key = { 'idempotency-key': `transfer-${randomUUID()}` };
    const answers = await Promise.all(Array.from({ length: 8 }, () => transfer({ from_wallet_id: from, to_wallet_id: to, amount: '20' }, key)));
    expect(answers.every((a) => a.statusCode === 200 && a.json().status === 'SUCCESS')).toBe(true);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotency-replayed'] === 'true')).toHaveLength(7);
    expect(answers.every((a) => a.json().to_balance === '20.00' && a.json().from_balance === '30.00')).toBe(true);
    expect(await balanceOf(t.app, from)).toBe('30.00');
    expect(await balanceOf(t.app, to)).toBe('20.00');

    const later = await transfer({ from_wallet_id: from, to_wallet_id: to, amount: '20.00' }, key);
    expect(later.headers['idempotency-replayed']).toBe('true');
    expect(later.json()).toEqual(answers[0]!.json());
    const other = await transfer({ from_wallet_id: from, to_wallet_id: to, amount: '21.00' }, key);
    expect(other.statusCode).toBe(422);
    // the key is scoped to the source wallet and shared with its deposits and withdrawals
    const asDeposit = await operate(t.app, from, { operation_type: 'DEPOSIT', amount: '20.00' }, key);
    expect(asDeposit.statusCode).toBe(422);
    expect(await balanceOf(t.app, from)).toBe('30.00');
  });

  it('replays a refusal with the same 400, and GET shows it REJECTED', async () => {
    const from = await funded('1.00');
    const to = await funded('0.00');
    const key = { 'idempotency-key': `refused-${randomUUID()}` };
    const first = await transfer({ from_wallet_id: from, to_wallet_id: to, amount: '5.00' }, key);
    expect(first.statusCode).toBe(400);
    expect((await operate(t.app, from, { operation_type: 'DEPOSIT', amount: '10.00' })).statusCode).toBe(200);
    const again = await transfer({ from_wallet_id: from, to_wallet_id: to, amount: '5.00' }, key);
    expect(again.statusCode).toBe(400);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await balanceOf(t.app, to)).toBe('0.00');
    const stored = await admin.query(`SELECT id::text, status FROM operations WHERE wallet_id = $1 AND operation_type = 'TRANSFER_OUT'`, [from]);
    expect(stored.rows).toHaveLength(1);
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/transfers/${stored.rows[0].id}` });
    expect(got.json()).toMatchObject({ status: 'REJECTED', from_balance: '1.00', to_balance: null,
      detail: 'Insufficient funds: balance 1.00, requested 5.00' });
  });
});

describe('the database guards the legs', () => {
  it('refuses a transfer leg without a counterparty, to itself, or an incoming leg with a key', async () => {
    const a = await funded('0.00');
    const insert = (type: string, counterparty: string | null, key: string | null) => admin.query(
      `INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status, idempotency_key, request_hash, counterparty_wallet_id)
       VALUES ($1, gen_random_uuid(), 999, $2, 1, 1, 'SUCCESS', $3, $3, $4)`, [a, type, key, counterparty]);
    await expect(insert('TRANSFER_OUT', null, null)).rejects.toThrow(/operations_transfer_has_counterparty/);
    await expect(insert('DEPOSIT', await createWallet(t.app), null)).rejects.toThrow(/operations_transfer_has_counterparty/);
    await expect(insert('TRANSFER_IN', a, null)).rejects.toThrow(/operations_counterparty_not_self/);
    await expect(insert('TRANSFER_IN', await createWallet(t.app), 'k')).rejects.toThrow(/operations_transfer_in_applied/);
  });
});

describe('OpenAPI', () => {
  it('documents the transfer and reversal endpoints with an example for the body and for every answer', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const post = spec.paths['/api/v1/transfers'].post;
    const get = spec.paths['/api/v1/transfers/{transfer_id}'].get;
    // 401/403 are declared when keys are checked (AUTH_REQUIRED=false has none to refuse).
    const authCodes = authRequired ? ['401', '403'] : [];
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '400', ...authCodes, '404', '422', '503']));
    expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['200', '404', '422', '503']));
    expect(JSON.stringify(post.requestBody)).toContain('"amount":"25.00"');
    for (const [operation, codes] of [[post, ['200', '400', '404', '422', '503']], [get, ['200', '404', '422', '503']]] as const) {
      for (const code of codes) {
        const content = JSON.stringify(operation.responses[code].content);
        expect(content, `${code}: ${content.slice(0, 300)}`).toMatch(/"examples?"/);
      }
    }
    expect(post.tags).toEqual(['transfers']);
    for (const path of ['/api/v1/transfers/{transfer_id}/reverse', '/api/v1/wallets/{wallet_id}/operations/{operation_id}/reverse']) {
      const reverse = spec.paths[path].post;
      for (const code of ['200', '400', '404', '409', '422', '503']) {
        expect(JSON.stringify(reverse.responses[code].content), `${path} ${code}`).toMatch(/"examples?"/);
      }
    }
  });
});
