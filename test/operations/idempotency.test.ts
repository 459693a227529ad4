/** Idempotency-Key: replays return the first outcome, conflicts are refused, nothing applies twice. */
import { describe, expect, it } from 'vitest';
import { balanceOf, createWallet, operate, useTestApp } from '../support/test-app.js';

const t = useTestApp();

const key = (name: string) => ({ 'idempotency-key': `${name}-${Math.random().toString(36).slice(2)}` });

describe('Idempotency-Key', () => {
  it('a replay returns the first outcome with Idempotency-Replayed and applies once', async () => {
    const id = await createWallet(t.app);
    const headers = key('replay');
    const first = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '10.00' }, headers);
    expect(first.statusCode).toBe(200);
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    const again = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '10.00' }, headers);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await balanceOf(t.app, id)).toBe('10.00');
  });

  it('the same amount written differently (10, "10.00", 10.0) is the same request', async () => {
    const id = await createWallet(t.app);
    const headers = key('same');
    const first = await operate(t.app, id, '{"operation_type":"DEPOSIT","amount":10}', headers);
    const second = await operate(t.app, id, '{"operation_type":"DEPOSIT","amount":"10.00"}', headers);
    const third = await operate(t.app, id, '{"operation_type":"DEPOSIT","amount":10.0}', headers);
    expect(second.json().id).toBe(first.json().id);
    expect(third.json().id).toBe(first.json().id);
    expect(await balanceOf(t.app, id)).toBe('10.00');
  });

  it('the same key with a different body is 422 and changes nothing', async () => {
    const id = await createWallet(t.app);
    const headers = key('conflict');
    await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '10.00' }, headers);
    const other = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '11.00' }, headers);
    expect(other.statusCode).toBe(422);
    expect(other.json()).toEqual({ detail: 'Idempotency-Key was already used for a different request on this wallet; use a new key for a new operation' });
    const otherType = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '10.00' }, headers);
    expect(otherType.statusCode).toBe(422);
    expect(await balanceOf(t.app, id)).toBe('10.00');
  });

  it('a refused withdrawal is replayed as the same 400, even after funds arrive', async () => {
    const id = await createWallet(t.app);
    const headers = key('refused');
    const first = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '5.00' }, headers);
    expect(first.statusCode).toBe(400);
    expect(first.json()).toEqual({ detail: 'Insufficient funds: balance 0.00, requested 5.00' });
    await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '100.00' });
    const again = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '5.00' }, headers);
    expect(again.statusCode).toBe(400);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await balanceOf(t.app, id)).toBe('100.00');
  });

  it('keys are scoped to the wallet', async () => {
    const a = await createWallet(t.app);
    const b = await createWallet(t.app);
    const headers = key('scoped');
    const ra = await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '1.00' }, headers);
    const rb = await operate(t.app, b, { operation_type: 'DEPOSIT', amount: '1.00' }, headers);
    expect(rb.headers['idempotency-replayed']).toBeUndefined();
    expect(rb.json().id).not.toBe(ra.json().id);
    expect(await balanceOf(t.app, a)).toBe('1.00');
    expect(await balanceOf(t.app, b)).toBe('1.00');
  });

  it('20 identical concurrent requests are applied once and all answer the same operation', async () => {
    const id = await createWallet(t.app);
    const headers = key('burst');
    const results = await Promise.all(Array.from({ length: 20 }, () =>
      operate(t.app, id, { operation_type: 'DEPOSIT', amount: '2.50' }, headers)));
    expect(results.every((r) => r.statusCode === 200 && r.json().status === 'SUCCESS')).toBe(true);
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    expect(results.filter((r) => r.headers['idempotency-replayed'] === 'true')).toHaveLength(19);
    expect(await balanceOf(t.app, id)).toBe('2.50');
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['non-printable', 'abc\u00e9'],
  ])('an invalid key (%s) is 422 and changes nothing', async (_name, value) => {
    const id = await createWallet(t.app);
    const res = await t.app.inject({
      method: 'POST', url: `/api/v1/wallets/${id}/operation`,
      headers: { 'content-type': 'application/json', 'idempotency-key': value },
      payload: JSON.stringify({ operation_type: 'DEPOSIT', amount: '1.00' }),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0].loc).toEqual(['header', 'idempotency-key']);
    expect(await balanceOf(t.app, id)).toBe('0.00');
  });

  it('a key of 255 printable characters is accepted', async () => {
    const id = await createWallet(t.app);
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' }, { 'idempotency-key': `${'~'.repeat(250)} a!@#` });
    expect(res.statusCode).toBe(200);
  });
});
