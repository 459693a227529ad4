/** GET /api/v1/wallets/{id}/operations: keyset pages, filters, and every way to ask wrongly. */
import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/history/history-cursor.js';
import { authRequired, createWallet, operate, useTestApp } from '../support/test-app.js';

interface Item { id: string; actor: string | null; seq: number; operation_type: string; amount: string; status: string; balance: string; created_at: string; detail?: string }
interface Page { items: Item[]; next_cursor: string | null }

const t = useTestApp();

async function page(walletId: string, query = ''): Promise<Page> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${walletId}/operations${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
}

async function deposits(walletId: string, amounts: string[]): Promise<void> {
  for (const amount of amounts) {
    const res = await operate(t.app, walletId, { operation_type: 'DEPOSIT', amount });
    expect(res.statusCode).toBe(200);
  }
}

describe('history pages', () => {
  it('lists newest first with exact money and the balance after each operation', async () => {
    const id = await createWallet(t.app);
    await deposits(id, ['10.00', '0.10']);
    await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '5.05' });
    const { items, next_cursor } = await page(id);
    expect(next_cursor).toBeNull();
    expect(items.map((i) => [i.seq, i.operation_type, i.amount, i.status, i.balance])).toEqual([
      [3, 'WITHDRAW', '5.05', 'SUCCESS', '5.05'],
      [2, 'DEPOSIT', '0.10', 'SUCCESS', '10.10'],
      [1, 'DEPOSIT', '10.00', 'SUCCESS', '10.00'],
    ]);
    expect(Object.keys(items[0]!).sort()).toEqual(['actor', 'amount', 'balance', 'created_at', 'id', 'operation_type', 'seq', 'status', 'wallet_id']);
    // The key that caused each operation (the fixture's key; none in the open mode).
    expect(new Set(items.map((i) => i.actor))).toEqual(new Set([t.key?.key_id ?? null]));
  });

  it('an empty wallet has an empty last page', async () => {
    const id = await createWallet(t.app);
    expect(await page(id)).toEqual({ items: [], next_cursor: null });
  });

  it('pages are stable while new operations arrive (keyset, no OFFSET)', async () => {
    const id = await createWallet(t.app);
    await deposits(id, Array.from({ length: 7 }, (_, i) => `${i + 1}.00`));
    const first = await page(id, '?limit=3');
    expect(first.items.map((i) => i.seq)).toEqual([7, 6, 5]);
    expect(first.next_cursor).toEqual(expect.any(String));
    await deposits(id, ['100.00', '200.00']); // seq 8 and 9 arrive between pages
    const second = await page(id, `?limit=3&cursor=${first.next_cursor}`);
    expect(second.items.map((i) => i.seq)).toEqual([4, 3, 2]);
    const third = await page(id, `?limit=3&cursor=${second.next_cursor}`);
    expect(third.items.map((i) => i.seq)).toEqual([1]);
    expect(third.next_cursor).toBeNull();
    expect((await page(id, '?limit=2')).items.map((i) => i.seq)).toEqual([9, 8]);
  });

  it('walking all pages during concurrent writes yields every earlier operation exactly once', async () => {
    const id = await createWallet(t.app);
    await deposits(id, Array.from({ length: 60 }, () => '1.00'));
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing && n < 200) { await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '0.01' }); n++; }
    })();
    const seen: number[] = [];
    let cursor: string | null = null;
    let firstTop = 0;
    do {
      const p: Page = await page(id, `?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      if (firstTop === 0) firstTop = p.items[0]!.seq;
      seen.push(...p.items.map((i) => i.seq));
      cursor = p.next_cursor;
    } while (cursor);
    writing = false;
    await writer;
    expect(firstTop).toBeGreaterThanOrEqual(60);
    expect(seen).toEqual(Array.from({ length: firstTop }, (_, i) => firstTop - i));
  });

  it('limit defaults to 50 and accepts 1..500', async () => {
    const id = await createWallet(t.app);
    await deposits(id, Array.from({ length: 52 }, () => '1.00'));
    const byDefault = await page(id);
    expect(byDefault.items).toHaveLength(50);
    expect(byDefault.next_cursor).not.toBeNull();
    expect((await page(id, '?limit=1')).items).toHaveLength(1);
    const all = await page(id, '?limit=500');
    expect(all.items).toHaveLength(52);
    expect(all.next_cursor).toBeNull();
  });
});

describe('history filters', () => {
  it('operation_type keeps only that type, across pages', async () => {
    const id = await createWallet(t.app);
    for (let i = 0; i < 6; i++) {
      await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '10.00' });
      await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '1.00' });
    }
    const first = await page(id, '?operation_type=WITHDRAW&limit=4');
    expect(first.items.map((i) => [i.seq, i.operation_type])).toEqual([[12, 'WITHDRAW'], [10, 'WITHDRAW'], [8, 'WITHDRAW'], [6, 'WITHDRAW']]);
    const rest = await page(id, `?operation_type=WITHDRAW&limit=4&cursor=${first.next_cursor}`);
    expect(rest.items.map((i) => i.seq)).toEqual([4, 2]);
    expect(rest.next_cursor).toBeNull();
    expect((await page(id, '?operation_type=DEPOSIT&limit=500')).items.every((i) => i.operation_type === 'DEPOSIT')).toBe(true);
  });

  it('created_from is inclusive and created_to exclusive', async () => {
    const id = await createWallet(t.app);
    await deposits(id, ['1.00', '2.00', '3.00', '4.00']);
    const all = (await page(id)).items;
    // Transactions may share a timestamp: compute the expectation from the stored instants.
    const from = all.find((i) => i.seq === 2)!.created_at;
    const to = all.find((i) => i.seq === 4)!.created_at;
    const expected = all.filter((i) => i.created_at >= from && i.created_at < to).map((i) => i.seq);
    const got = await page(id, `?created_from=${encodeURIComponent(from)}&created_to=${encodeURIComponent(to)}`);
    expect(got.items.map((i) => i.seq)).toEqual(expected);
    expect(expected).toContain(2);
    expect(expected).not.toContain(4);
    expect((await page(id, '?created_from=2999-01-01T00:00:00Z')).items).toEqual([]);
    expect((await page(id, '?created_to=2000-01-01T00:00:00%2B02:00')).items).toEqual([]);
  });

  it('shows a REJECTED operation kept for its Idempotency-Key, with its reason, without a balance change', async () => {
    const id = await createWallet(t.app);
    await deposits(id, ['5.00']);
    const refused = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '9.00' }, { 'idempotency-key': 'too-much-1' });
    expect(refused.statusCode).toBe(400);
    const { items } = await page(id);
    expect(items[0]).toMatchObject({ seq: 2, status: 'REJECTED', amount: '9.00', balance: '5.00',
      detail: 'Insufficient funds: balance 5.00, requested 9.00' });
  });
});

describe('history errors', () => {
  const unknown = '00000000-0000-4000-8000-000000000000';

  it('404 for an unknown wallet', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${unknown}/operations` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Wallet not found' });
    const withCursor = await t.app.inject({ method: 'GET',
      url: `/api/v1/wallets/${unknown}/operations?cursor=${encodeCursor(unknown, '5')}` });
    expect(withCursor.statusCode).toBe(404);
  });

  it.each([
    ['limit=0', ['query', 'limit'], 'greater_than_equal'],
    ['limit=501', ['query', 'limit'], 'less_than_equal'],
    ['limit=ten', ['query', 'limit'], 'integer_type'],
    ['operation_type=REFUND', ['query', 'operation_type'], 'enum'],
    ['created_from=yesterday', ['query', 'created_from'], 'date-time_parsing'],
    ['created_to=2026-11-25', ['query', 'created_to'], 'date-time_parsing'],
    ['cursor=', ['query', 'cursor'], 'string_too_short'],
  ])('422 for %s', async (query, loc, type) => {
    const id = await createWallet(t.app);
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations?${query}` });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toEqual([expect.objectContaining({ loc, type })]);
  });

  it.each([
    ['not base64', 'abc$%^'],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['wrong version', Buffer.from(JSON.stringify({ v: 2, w: 'x', s: '3' })).toString('base64url')],
    ['non-numeric seq', Buffer.from(JSON.stringify({ v: 1, w: 'x', s: '3; DROP' })).toString('base64url')],
    ['zero seq', Buffer.from(JSON.stringify({ v: 1, w: 'x', s: '0' })).toString('base64url')],
  ])('422 for a bad cursor (%s)', async (_name, cursor) => {
    const id = await createWallet(t.app);
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations?cursor=${encodeURIComponent(cursor)}` });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail: [{ loc: ['query', 'cursor'], msg: 'Invalid cursor', type: 'value_error' }] });
  });

  it('422 for a cursor of another wallet', async () => {
    const a = await createWallet(t.app);
    const b = await createWallet(t.app);
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${a}/operations?cursor=${encodeCursor(b, '3')}` });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail: [{ loc: ['query', 'cursor'], msg: 'Cursor belongs to another wallet', type: 'value_error' }] });
  });

  it('422 when created_to is before created_from', async () => {
    const id = await createWallet(t.app);
    const res = await t.app.inject({ method: 'GET',
      url: `/api/v1/wallets/${id}/operations?created_from=2026-01-02T00:00:00Z&created_to=2026-01-01T00:00:00Z` });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ loc: ['query', 'created_to'], type: 'value_error' });
  });

  it('422 for a malformed wallet id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/wallets/nope/operations' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail: [{ loc: ['path', 'wallet_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }] });
  });
});

describe('history in OpenAPI', () => {
  it('documents the route, its parameters and examples', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = spec.paths['/api/v1/wallets/{wallet_id}/operations'].get;
    expect(op.parameters.map((p: { name: string }) => p.name).sort())
      .toEqual(['created_from', 'created_to', 'cursor', 'limit', 'operation_type', 'wallet_id']);
    expect(Object.keys(op.responses).sort()).toEqual(authRequired
      ? ['200', '401', '403', '404', '422', '429', '503'] : ['200', '404', '422', '503']);
    if (authRequired) expect(op.security).toEqual([{ bearerAuth: [] }]);
    expect(JSON.stringify(op.responses['200'])).toContain('next_cursor');
    expect(JSON.stringify(op.responses['200'])).toContain('example');
  });
});
