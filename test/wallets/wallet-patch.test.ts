/** PATCH /api/v1/wallets/{id}: metadata merged, limits for later movements, status rules; wallet.created / wallet.updated events. */
import { describe, expect, it } from 'vitest';
import { balanceOf, operate, useTestApp, waitFor } from '../support/test-app.js';

const t = useTestApp();

async function wallet(body: unknown = {}): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/wallets', payload: body as object });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

const patch = (id: string, body: unknown) => t.app.inject({ method: 'PATCH', url: `/api/v1/wallets/${id}`, payload: body as object });

interface Event { type: string; data: Record<string, unknown> }

async function walletEvents(id: string, count: number): Promise<Event[]> {
  return waitFor(async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/events?wallet_id=${id}&limit=100` });
    const items = res.json<{ items: Event[] }>().items.filter((e) => e.type.startsWith('wallet.'));
    return items.length >= count ? items : undefined;
  }, 10_000, `${count} wallet events`);
}

describe('PATCH /api/v1/wallets/{id}', () => {
  it('merges metadata: a key set to "" or null is removed', async () => {
    const id = await wallet({ metadata: { a: '1', b: '2', c: '3' } });
    const res = await patch(id, { metadata: { a: 'one', b: null, c: '', d: '4' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().metadata).toEqual({ a: 'one', d: '4' });
    const many = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v']));
    expect((await patch(id, { metadata: many })).statusCode).toBe(422);
  });

  it('a limit applies to later movements; raising min_balance above the balance blocks debits only', async () => {
    const id = await wallet({ min_balance: '-100.00' });
    await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '80.00' });
    const res = await patch(id, { min_balance: '-50.00' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ min_balance: '-50.00', balance: '-80.00' });
    expect((await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '0.01' })).statusCode).toBe(400);
    expect((await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '10.00' })).statusCode).toBe(200);
    expect((await patch(id, { min_balance: '5.00', max_balance: '1.00' })).statusCode).toBe(422);
    expect((await patch(id, { max_balance: '1.001' })).statusCode).toBe(422);
    expect(await balanceOf(t.app, id)).toBe('-70.00');
  });

  it('CLOSED only with balance 0 and no active hold (409), and for good; a closed wallet stays readable', async () => {
    const id = await wallet();
    await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '5.00' });
    const busy = await patch(id, { status: 'CLOSED' });
    expect(busy.statusCode).toBe(409);
    expect(busy.json()).toEqual({ detail: 'A wallet is closed only with balance 0 and no active hold (balance 5.00, held 0.00)' });
    const hold = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/holds`, payload: { amount: '5.00' } });
    await t.app.inject({ method: 'POST', url: `/api/v1/holds/${hold.json<{ id: string }>().id}/capture` });
    expect((await patch(id, { status: 'FROZEN' })).json()).toMatchObject({ status: 'FROZEN', balance: '0.00' });
    expect((await patch(id, { status: 'CLOSED' })).json()).toMatchObject({ status: 'CLOSED' });
    expect((await patch(id, { status: 'ACTIVE' })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` })).json()).toMatchObject({ status: 'CLOSED' });
  });

  it('another tenant\'s wallet or an unknown one is 404', async () => {
    expect((await patch('00000000-0000-4000-8000-000000000000', { status: 'FROZEN' })).statusCode).toBe(404);
  });

  it('wallet.updated is in the feed with the wallet and what changed', async () => {
    const id = await wallet({ metadata: { user_id: '42' } });
    await patch(id, { status: 'FROZEN' });
    await patch(id, { status: 'FROZEN' }); // no change: no event
    await patch(id, { metadata: { plan: 'gold' } });
    const events = await walletEvents(id, 2);
    expect(events.map((e) => e.type)).toEqual(['wallet.updated', 'wallet.updated']);
    expect(events[0]!.data).toMatchObject({ id, balance: '0.00', currency: 'USD', status: 'FROZEN',
      changes: { status: { from: 'ACTIVE', to: 'FROZEN' } } });
    expect(events[1]!.data).toMatchObject({ metadata: { user_id: '42', plan: 'gold' },
      changes: { metadata: { from: { user_id: '42' }, to: { user_id: '42', plan: 'gold' } } } });
  });
});

describe('GET /api/v1/wallets', () => {
  it('lists the tenant\'s wallets newest first in keyset pages, filtered by metadata, currency, status and external_id', async () => {
    const tag = `run-${Math.random()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await wallet({ metadata: { tag, n: String(i % 2) }, ...(i === 4 ? { currency: 'EUR' } : {}) }));
    const list = async (query: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets?${query}` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ items: { id: string }[]; next_cursor: string | null }>();
    };
    const q = `metadata[tag]=${encodeURIComponent(tag)}`;
    const first = await list(`${q}&limit=2`);
    expect(first.items.map((w) => w.id)).toEqual([ids[4], ids[3]]);
    const second = await list(`${q}&limit=2&cursor=${first.next_cursor}`);
    expect(second.items.map((w) => w.id)).toEqual([ids[2], ids[1]]);
    const third = await list(`${q}&limit=2&cursor=${second.next_cursor}`);
    expect(third).toEqual({ items: [expect.objectContaining({ id: ids[0] })], next_cursor: null });
    expect((await list(`${q}&metadata[n]=1`)).items.map((w) => w.id)).toEqual([ids[3], ids[1]]);
    expect((await list(`${q}&currency=EUR`)).items.map((w) => w.id)).toEqual([ids[4]]);
    await patch(ids[0]!, { status: 'FROZEN' });
    expect((await list(`${q}&status=FROZEN`)).items.map((w) => w.id)).toEqual([ids[0]]);
    const ext = `ext-${Math.random()}`;
    const named = await wallet({ external_id: ext });
    expect((await list(`external_id=${encodeURIComponent(ext)}`)).items.map((w) => w.id)).toEqual([named]);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/wallets?limit=101' })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/wallets?cursor=nope' })).statusCode).toBe(422);
  });
});
