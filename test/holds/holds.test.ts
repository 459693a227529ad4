/**
 * Holds (authorize / capture / void): the contract of each answer, idempotent replays, expiry,
 * available_balance, and withdrawals / transfers / reversals judged against it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authRequired, balanceOf, bearer, createWallet, makeKey, newTenant, operate, useAdminPool, useTestApp,
} from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

async function hold(walletId: string, body: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST', url: `/api/v1/wallets/${walletId}/holds`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function capture(holdId: string, body?: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST', url: `/api/v1/holds/${holdId}/capture`,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

async function voidHold(holdId: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: `/api/v1/holds/${holdId}/void`, headers });
}

async function wallet(id: string) {
  return (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` })).json() as { balance: string; available_balance: string };
}

async function funded(amount: string): Promise<string> {
  const id = await createWallet(t.app);
  if (amount !== '0.00') expect((await operate(t.app, id, { operation_type: 'DEPOSIT', amount })).statusCode).toBe(200);
  return id;
}

/** Makes a hold lapse without waiting: moves its times into the past (admin only; the app never does this). */
async function backdate(holdId: string, seconds: number) {
  await admin.query(`UPDATE holds SET created_at = created_at - make_interval(secs => $2),
    expires_at = expires_at - make_interval(secs => $2) WHERE id = $1`, [holdId, seconds]);
}

describe('POST /api/v1/wallets/{id}/holds', () => {
  it('reserves the amount: 200 HELD, available_balance reduced, balance unchanged', async () => {
    const w = await funded('100.00');
    const before = Date.now();
    const res = await hold(w, { amount: '30.5', expires_in_seconds: 3600 });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(Object.keys(body)).toEqual(['id', 'wallet_id', 'amount', 'status', 'expires_at', 'created_at', 'available_balance']);
    expect(body).toMatchObject({ wallet_id: w, amount: '30.50', status: 'HELD', available_balance: '69.50' });
    const expires = Date.parse(body.expires_at);
    expect(expires - Date.parse(body.created_at)).toBe(3600_000);
    expect(expires).toBeGreaterThan(before + 3590_000);
    expect(await wallet(w)).toMatchObject({ balance: '100.00', available_balance: '69.50' });
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/holds/${body.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(body);
    const row = await admin.query('SELECT held::text FROM wallets WHERE id = $1', [w]);
    expect(row.rows[0].held).toBe('30.50');
  });

  it('uses the configured default expiry when none is given', async () => {
    const w = await funded('10.00');
    const body = (await hold(w, { amount: '1.00' })).json();
    expect(Date.parse(body.expires_at) - Date.parse(body.created_at)).toBe(t.config.holds.expiresInSecondsDefault * 1000);
  });

  it('refuses with 400 when the available balance is short, and changes nothing', async () => {
    const w = await funded('50.00');
    expect((await hold(w, { amount: '40.00' })).statusCode).toBe(200);
    const res = await hold(w, { amount: '10.01' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ detail: 'Insufficient funds: available 10.00, requested 10.01' });
    expect(await wallet(w)).toMatchObject({ balance: '50.00', available_balance: '10.00' });
    const n = await admin.query('SELECT count(*)::int AS n FROM holds WHERE wallet_id = $1', [w]);
    expect(n.rows[0].n).toBe(1);
  });

  it('422 for a bad amount, an expiry out of bounds, unknown fields are ignored; 404 for an unknown wallet', async () => {
    const w = await funded('10.00');
    expect((await hold(w, { amount: '0' })).statusCode).toBe(422);
    expect((await hold(w, { amount: '1.001' })).statusCode).toBe(422);
    const tooLong = await hold(w, { amount: '1', expires_in_seconds: t.config.holds.expiresInSecondsMax + 1 });
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.json().detail[0].loc).toEqual(['body', 'expires_in_seconds']);
    expect((await hold(w, { amount: '1', expires_in_seconds: 0 })).statusCode).toBe(422);
    expect((await hold(w, {})).statusCode).toBe(422);
    expect((await hold('not-a-uuid', { amount: '1' })).statusCode).toBe(422);
    const unknown = await hold(randomUUID(), { amount: '1' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ detail: 'Wallet not found' });
  });

  it('replays with the same Idempotency-Key (also a refusal), 422 with a different body', async () => {
    const w = await funded('20.00');
    const first = await hold(w, { amount: '15.00', expires_in_seconds: 60 }, { 'idempotency-key': 'auth-1' });
    expect(first.statusCode).toBe(200);
    const again = await hold(w, { amount: '15.00', expires_in_seconds: 60 }, { 'idempotency-key': 'auth-1' });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const other = await hold(w, { amount: '16.00', expires_in_seconds: 60 }, { 'idempotency-key': 'auth-1' });
    expect(other.statusCode).toBe(422);
    expect(other.json().detail).toMatch(/Idempotency-Key was already used/);
    // After a capture the replay still repeats the first answer; GET tells the state now.
    expect((await capture(first.json().id, { amount: '1.00' })).statusCode).toBe(200);
    const later = await hold(w, { amount: '15.00', expires_in_seconds: 60 }, { 'idempotency-key': 'auth-1' });
    expect(later.headers['idempotency-replayed']).toBe('true');
    expect(later.json()).toEqual(first.json());
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/holds/${first.json().id}` })).json())
      .toMatchObject({ status: 'CAPTURED', captured_amount: '1.00' });

    expect((await hold(w, { amount: '14.00' })).statusCode).toBe(200); // available 19.00 - 14.00 = 5.00
    const refused = await hold(w, { amount: '6.00' }, { 'idempotency-key': 'auth-2' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ detail: 'Insufficient funds: available 5.00, requested 6.00' });
    await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '100.00' });
    const replayedRefusal = await hold(w, { amount: '6.00' }, { 'idempotency-key': 'auth-2' });
    expect(replayedRefusal.statusCode).toBe(400);
    expect(replayedRefusal.headers['idempotency-replayed']).toBe('true');
    expect(replayedRefusal.json()).toEqual(refused.json());
    // The refused hold is kept for its key: GET shows it REJECTED with the reason; it cannot be captured.
    const stored = await admin.query(`SELECT id::text FROM holds WHERE wallet_id = $1 AND idempotency_key = 'auth-2'`, [w]);
    const got = (await t.app.inject({ method: 'GET', url: `/api/v1/holds/${stored.rows[0].id}` })).json();
    expect(got).toMatchObject({ status: 'REJECTED', amount: '6.00', available_balance: '5.00',
      detail: 'Insufficient funds: available 5.00, requested 6.00' });
    expect(got.closed_at).toBeUndefined();
    const captureRefused = await capture(stored.rows[0].id, {});
    expect(captureRefused.statusCode).toBe(409);
    expect(captureRefused.json().detail).toMatch(/^The hold was refused \(never held\)/);
    expect(await wallet(w)).toMatchObject({ balance: '119.00', available_balance: '105.00' });
  });
});

describe('capture', () => {
  it('takes part of the hold as a CAPTURE ledger row (id = hold id) and releases the rest', async () => {
    const w = await funded('100.00');
    const h = (await hold(w, { amount: '30.00' })).json();
    const res = await capture(h.id, { amount: '25.00' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ id: h.id, wallet_id: w, amount: '30.00', status: 'CAPTURED', captured_amount: '25.00',
      available_balance: '75.00' });
    expect(typeof body.closed_at).toBe('string');
    expect(await wallet(w)).toMatchObject({ balance: '75.00', available_balance: '75.00' });
    const op = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/operations/${h.id}` });
    expect(op.json()).toMatchObject({ id: h.id, operation_type: 'CAPTURE', amount: '25.00', balance: '75.00', status: 'SUCCESS',
      hold_id: h.id });
    const history = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/operations` })).json();
    expect(history.items[0]).toMatchObject({ id: h.id, operation_type: 'CAPTURE', amount: '25.00', balance: '75.00', hold_id: h.id,
      actor: t.key?.key_id ?? null });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/holds/${h.id}` })).json()).toEqual(body);
  });

  it('captures all of it without a body', async () => {
    const w = await funded('10.00');
    const h = (await hold(w, { amount: '10.00' })).json();
    const res = await capture(h.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'CAPTURED', captured_amount: '10.00', available_balance: '0.00' });
    expect(await wallet(w)).toMatchObject({ balance: '0.00', available_balance: '0.00' });
  });

  it('400 for more than the held amount; 404 for an unknown hold', async () => {
    const w = await funded('100.00');
    const h = (await hold(w, { amount: '30.00' })).json();
    const res = await capture(h.id, { amount: '30.01' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ detail: 'Capture amount 30.01 exceeds the held amount 30.00' });
    const unknown = await capture(randomUUID(), {});
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ detail: 'Hold not found' });
    expect((await capture('nope', {})).statusCode).toBe(422);
  });

  it('twice: the same key replays, any other attempt is 409 naming the state', async () => {
    const w = await funded('100.00');
    const h = (await hold(w, { amount: '40.00' })).json();
    const first = await capture(h.id, { amount: '10.00' }, { 'idempotency-key': 'cap-1' });
    expect(first.statusCode).toBe(200);
    const replay = await capture(h.id, { amount: '10.00' }, { 'idempotency-key': 'cap-1' });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const differentBody = await capture(h.id, { amount: '11.00' }, { 'idempotency-key': 'cap-1' });
    expect(differentBody.statusCode).toBe(422);
    const voidWithCaptureKey = await voidHold(h.id, { 'idempotency-key': 'cap-1' });
    expect(voidWithCaptureKey.statusCode).toBe(422);
    for (const res of [await capture(h.id, { amount: '10.00' }), await capture(h.id, {}, { 'idempotency-key': 'cap-2' }),
      await voidHold(h.id)]) {
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toMatch(/^The hold is already CAPTURED at .*\(status CAPTURED\)/);
    }
    expect(await wallet(w)).toMatchObject({ balance: '90.00', available_balance: '90.00' });
    const captures = await admin.query(`SELECT count(*)::int AS n FROM operations WHERE wallet_id = $1 AND operation_type = 'CAPTURE'`, [w]);
    expect(captures.rows[0].n).toBe(1);
  });

  it('a capture can be reversed (given back like a withdrawal)', async () => {
    const w = await funded('50.00');
    const h = (await hold(w, { amount: '20.00' })).json();
    expect((await capture(h.id, {})).statusCode).toBe(200);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${w}/operations/${h.id}/reverse` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ operation_type: 'REVERSAL_IN', amount: '20.00', balance: '50.00', reverses_id: h.id });
    expect(await wallet(w)).toMatchObject({ balance: '50.00', available_balance: '50.00' });
  });
});

describe('void', () => {
  it('releases the hold; twice is 409 unless the same key replays', async () => {
    const w = await funded('100.00');
    const h = (await hold(w, { amount: '60.00' })).json();
    expect(await wallet(w)).toMatchObject({ available_balance: '40.00' });
    const res = await voidHold(h.id, { 'idempotency-key': 'void-1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: h.id, status: 'VOIDED', amount: '60.00', available_balance: '100.00' });
    expect(res.json().captured_amount).toBeUndefined();
    expect(await wallet(w)).toMatchObject({ balance: '100.00', available_balance: '100.00' });
    const replay = await voidHold(h.id, { 'idempotency-key': 'void-1' });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.json()).toEqual(res.json());
    const again = await voidHold(h.id);
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toMatch(/^The hold is already VOIDED at /);
    const captureAfter = await capture(h.id, {});
    expect(captureAfter.statusCode).toBe(409);
    expect(captureAfter.json().detail).toMatch(/status VOIDED/);
    const history = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/operations` })).json();
    expect(history.items.map((i: { operation_type: string }) => i.operation_type)).toEqual(['DEPOSIT']);
  });
});

describe('expiry', () => {
  it('a hold past expiry reads EXPIRED, no longer reserves, is released by the next batch and cannot be captured', async () => {
    const w = await funded('100.00');
    const h = (await hold(w, { amount: '70.00', expires_in_seconds: 60 })).json();
    await backdate(h.id, 120);
    const got = (await t.app.inject({ method: 'GET', url: `/api/v1/holds/${h.id}` })).json();
    expect(got).toMatchObject({ id: h.id, status: 'EXPIRED', available_balance: null });
    expect(got.closed_at).toBe(got.expires_at);
    expect(await wallet(w)).toMatchObject({ balance: '100.00', available_balance: '100.00' });
    // Not yet written: the table still says HELD until a batch locks the wallet.
    expect((await admin.query('SELECT status, (SELECT held::text FROM wallets WHERE id = $2) AS held FROM holds WHERE id = $1',
      [h.id, w])).rows[0]).toEqual({ status: 'HELD', held: '70.00' });
    const withdrawal = await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '90.00' });
    expect(withdrawal.statusCode, withdrawal.body).toBe(200);
    const stored = await admin.query(`SELECT status, closed_at = expires_at AS at_expiry, (SELECT held::text FROM wallets WHERE id = $2) AS held
      FROM holds WHERE id = $1`, [h.id, w]);
    expect(stored.rows[0]).toEqual({ status: 'EXPIRED', at_expiry: true, held: '0.00' });
    const res = await capture(h.id, {});
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toMatch(/^The hold expired at .*\(status EXPIRED\)/);
  });

  it('capturing a lapsed hold (still HELD in the table) expires it in the same transaction and answers 409', async () => {
    const w = await funded('10.00');
    const h = (await hold(w, { amount: '10.00', expires_in_seconds: 5 })).json();
    await backdate(h.id, 10);
    const res = await capture(h.id, {}, { 'idempotency-key': 'late' });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toMatch(/expired/);
    expect(await balanceOf(t.app, w)).toBe('10.00');
    expect((await admin.query('SELECT status FROM holds WHERE id = $1', [h.id])).rows[0].status).toBe('EXPIRED');
  });
});

describe('available balance rules', () => {
  it('withdrawals, transfers and reversal debits are judged against available; deposits against the limit', async () => {
    const w = await funded('100.00');
    const other = await funded('0.00');
    const deposit = (await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '10.00' })).json();
    expect((await hold(w, { amount: '95.00' })).statusCode).toBe(200);
    const withdrawal = await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '15.01' }, { 'idempotency-key': 'w-1' });
    expect(withdrawal.statusCode).toBe(400);
    const refusal = 'Insufficient funds: available 15.00 (balance 110.00, held 95.00), requested 15.01';
    expect(withdrawal.json()).toEqual({ detail: refusal });
    // The stored refusal says the same on replay, in history and in reconcile's eyes.
    const replay = await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '15.01' }, { 'idempotency-key': 'w-1' });
    expect(replay.json()).toEqual({ detail: refusal });
    const history = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/operations?operation_type=WITHDRAW` })).json();
    expect(history.items[0]).toMatchObject({ status: 'REJECTED', detail: refusal });

    const transfer = await t.app.inject({ method: 'POST', url: '/api/v1/transfers',
      payload: { from_wallet_id: w, to_wallet_id: other, amount: '15.01' } });
    expect(transfer.statusCode).toBe(400);
    expect(transfer.json()).toEqual({ detail: refusal });
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/transfers',
      payload: { from_wallet_id: w, to_wallet_id: other, amount: '5.00' } })).statusCode).toBe(200);
    // The deposit reversal would take 10.00 of the 10.00 still available: fine; then nothing is left.
    const reversal = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${w}/operations/${deposit.id}/reverse` });
    expect(reversal.statusCode, reversal.body).toBe(200);
    expect(await wallet(w)).toMatchObject({ balance: '95.00', available_balance: '0.00' });
    expect((await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '0.01' })).statusCode).toBe(400);
    expect((await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '1.00' })).statusCode).toBe(200);
    expect(await wallet(w)).toMatchObject({ balance: '96.00', available_balance: '1.00' });
  });

  it('a transfer reversal is judged against the target\'s available balance', async () => {
    const from = await funded('50.00');
    const to = await funded('0.00');
    const tr = (await t.app.inject({ method: 'POST', url: '/api/v1/transfers',
      payload: { from_wallet_id: from, to_wallet_id: to, amount: '50.00' } })).json();
    const h = (await hold(to, { amount: '1.00' })).json();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/transfers/${tr.id}/reverse` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ detail: 'Insufficient funds: the target wallet cannot pay back 50.00' });
    expect((await voidHold(h.id)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/transfers/${tr.id}/reverse` })).statusCode).toBe(200);
  });

  it('the database refuses a negative held amount and money off the wallet\'s scale (the second line of the invariant)', async () => {
    const w = await funded('10.00');
    expect((await hold(w, { amount: '10.00' })).statusCode).toBe(200);
    await expect(admin.query(`UPDATE wallets SET held = -0.01 WHERE id = $1`, [w])).rejects.toMatchObject({ code: '23514' });
    await expect(admin.query(`UPDATE wallets SET balance = 9.999 WHERE id = $1`, [w])).rejects.toMatchObject({ code: '23514' });
  });
});

describe('tenants and scopes', () => {
  it.runIf(authRequired)('another tenant\'s wallet or hold is 404; read-only keys cannot place or close holds', async () => {
    const w = await funded('100.00');
    const h = (await hold(w, { amount: '10.00' })).json();
    const other = bearer((await makeKey(newTenant())).key);
    const theirs = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${w}/holds`, headers: other, payload: { amount: '1.00' } });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toEqual({ detail: 'Wallet not found' });
    for (const url of [`/api/v1/holds/${h.id}/capture`, `/api/v1/holds/${h.id}/void`]) {
      const res = await t.app.inject({ method: 'POST', url, headers: other });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ detail: 'Hold not found' });
    }
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/holds/${h.id}`, headers: other })).statusCode).toBe(404);

    const readOnly = bearer((await makeKey(t.tenant, ['wallets:read'])).key);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/holds/${h.id}`, headers: readOnly })).statusCode).toBe(200);
    for (const [method, url] of [['POST', `/api/v1/wallets/${w}/holds`], ['POST', `/api/v1/holds/${h.id}/capture`],
      ['POST', `/api/v1/holds/${h.id}/void`]] as const) {
      const res = await t.app.inject({ method, url, headers: { ...readOnly, 'content-type': 'application/json' }, payload: '{"amount":"1"}' });
      expect(res.statusCode).toBe(403);
    }
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/holds/${h.id}`, headers: { authorization: undefined } as never })).statusCode)
      .toBe(401);
    expect(await wallet(w)).toMatchObject({ available_balance: '90.00' });
  });
});

describe('OpenAPI', () => {
  it('lists the hold endpoints with examples and their answers', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    // 401 / 403 are declared when keys are checked (AUTH_REQUIRED=false runs the open contract)
    const auth = authRequired ? ['401', '403'] : [];
    const place = spec.paths['/api/v1/wallets/{wallet_id}/holds'].post;
    expect(Object.keys(place.responses)).toEqual(expect.arrayContaining(['200', '400', ...auth, '404', '422', '503']));
    expect(place.requestBody.content['application/json'].schema.properties.expires_in_seconds.maximum)
      .toBe(t.config.holds.expiresInSecondsMax);
    for (const path of ['/api/v1/holds/{hold_id}/capture', '/api/v1/holds/{hold_id}/void']) {
      expect(Object.keys(spec.paths[path].post.responses)).toEqual(expect.arrayContaining(['200', ...auth, '404', '409', '422']));
      expect(spec.paths[path].post.responses['409'].content['application/json'].schema.examples?.[0]?.detail
        ?? spec.paths[path].post.responses['409'].content['application/json'].example?.detail).toMatch(/CAPTURED/);
    }
    expect(Object.keys(spec.paths['/api/v1/holds/{hold_id}'].get.responses)).toEqual(expect.arrayContaining(['200', ...auth, '404']));
    expect(spec.paths['/api/v1/wallets/{wallet_id}'].get.responses['200'].content['application/json'].schema.properties)
      .toHaveProperty('available_balance');
  });
});

describe('GET /api/v1/wallets/{id}/holds', () => {
  it('lists newest first in keyset pages (holds of one batch included), filters by state as GET shows it, 404 across tenants', async () => {
    const w = await funded('100.00');
    // concurrent: several land in one batch, with one created_at
    const placed = (await Promise.all(Array.from({ length: 7 }, () => hold(w, { amount: '1.00' })))).map((r) => r.json() as { id: string });
    const [voided, captured, lapsed] = placed;
    expect((await voidHold(voided!.id)).statusCode).toBe(200);
    expect((await capture(captured!.id)).statusCode).toBe(200);
    await backdate(lapsed!.id, 8 * 24 * 3600); // past its 7-day default expiry, still HELD in the table
    const list = async (query: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/holds?${query}` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: { id: string; status: string; created_at: string }[]; next_cursor: string | null };
    };
    const seen: { id: string; status: string; created_at: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.map((h) => h.id).sort()).toEqual(placed.map((h) => h.id).sort()); // each once
    const times = seen.map((h) => Date.parse(h.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // each item is GET /holds/{id}'s view
    for (const h of seen.slice(0, 3)) {
      expect(h).toEqual((await t.app.inject({ method: 'GET', url: `/api/v1/holds/${h.id}` })).json());
    }
    expect((await list('status=VOIDED&limit=500')).items.map((h) => h.id)).toEqual([voided!.id]);
    expect((await list('status=CAPTURED&limit=500')).items.map((h) => h.id)).toEqual([captured!.id]);
    expect((await list('status=EXPIRED&limit=500')).items.map((h) => h.id)).toEqual([lapsed!.id]);
    expect((await list('status=HELD&limit=500')).items.map((h) => h.id).sort()).toEqual(placed.slice(3).map((h) => h.id).sort());
    expect((await list('status=REJECTED')).items).toEqual([]);
    // errors: unknown wallet, bad cursor, cursor of another wallet, bad status
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${randomUUID()}/holds` })).statusCode).toBe(404);
    const other = await funded('0.00');
    const firstPage = await list('limit=1');
    for (const url of [`/api/v1/wallets/${w}/holds?cursor=garbage!`, `/api/v1/wallets/${other}/holds?cursor=${firstPage.next_cursor}`,
      `/api/v1/wallets/${w}/holds?status=OPEN`, `/api/v1/wallets/${w}/holds?limit=501`]) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(422);
    }
    expect((await list('limit=500')).items.length).toBe(7);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${other}/holds` })).json()).toEqual({ items: [], next_cursor: null });
    if (authRequired) {
      const stranger = bearer((await makeKey(newTenant())).key);
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/holds`, headers: stranger })).statusCode).toBe(404);
    }
  });
});
