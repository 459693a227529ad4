/**
 * The event feed (GET /api/v1/events) against real PostgreSQL: one event per committed ledger row
 * and none for a change that did not commit, payloads equal to the API's own view, order and
 * resumption, 422 for bad cursors, tenant isolation, and the cursor guarantee: a transaction that
 * took its xid earlier but commits later is never passed by a consumer's cursor.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventTypeOf } from '../../src/ledger/event-names.js';
import type { EventItem } from '../../src/ledger/event-schemas.js';
import { LEDGER_TYPES, STORED_STATUSES } from '../../src/ledger/names.js';
import { createWallet, operate, useAdminPool, useTestApp, waitFor } from '../support/test-app.js';

const t = useTestApp();
const other = useTestApp();
const admin = useAdminPool();

interface Page { items: EventItem[]; next_cursor: string | null }

async function page(app: FastifyInstance, query: string): Promise<Page> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/events?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
}

/** Every event the feed serves for `walletId`, following cursors `limit` at a time. */
async function allEvents(app: FastifyInstance, walletId: string, limit = 2): Promise<EventItem[]> {
  const items: EventItem[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const p = await page(app, `wallet_id=${walletId}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...p.items);
    if (p.items.length === 0) return items;
    cursor = p.next_cursor;
  }
  throw new Error('feed did not end');
}

/**
 * Until the feed serves every ledger row of these wallets. A committed event is served once no
 * transaction that started before it is still running (other test files' included): not at once.
 */
async function visible(app: FastifyInstance, ...walletIds: string[]): Promise<void> {
  for (const w of walletIds) {
    const rows = (await ledgerRows(w)).length;
    await waitFor(async () => ((await page(app, `wallet_id=${w}&limit=500`)).items.length === rows ? true : undefined), 10_000,
      `the feed to serve ${w}'s ${rows} events`);
  }
}

const ledgerRows = async (walletId: string) =>
  (await admin.query<{ id: string; seq: string }>('SELECT id, seq FROM operations WHERE wallet_id = $1 ORDER BY seq', [walletId])).rows;

describe('one event per committed ledger row', () => {
  it('deposits, withdrawals, a keyed refusal, a transfer and a reversal: the payload is the API\'s view', async () => {
    const w = await createWallet(t.app);
    const w2 = await createWallet(t.app);
    await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '100.5' });
    await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '0.25' });
    // refused without a key: nothing stored, so no event
    expect((await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '1000.00' })).statusCode).toBe(400);
    // refused with a key: stored as REJECTED, so an event
    expect((await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '1000.00' }, { 'idempotency-key': 'k-1' })).statusCode).toBe(400);
    const tr = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', payload: { from_wallet_id: w, to_wallet_id: w2, amount: '10.00' } });
    expect(tr.statusCode).toBe(200);
    const dep = (await operate(t.app, w2, { operation_type: 'DEPOSIT', amount: '3.00' })).json() as { id: string };
    const rev = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${w2}/operations/${dep.id}/reverse` });
    expect(rev.statusCode).toBe(200);

    await visible(t.app, w, w2);
    const events = [...await allEvents(t.app, w), ...await allEvents(t.app, w2)];
    const rows = [...await ledgerRows(w), ...await ledgerRows(w2)];
    expect(events.map((e) => e.data.id)).toEqual(rows.map((r) => r.id));
    expect(events.map((e) => e.seq)).toEqual(rows.map((r) => Number(r.seq)));
    expect(events.map((e) => e.type)).toEqual(['operation.succeeded', 'operation.succeeded', 'operation.rejected', 'transfer.sent',
      'transfer.received', 'operation.succeeded', 'reversal.succeeded']);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const e of events) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${e.wallet_id}/operations/${e.data.id as string}` });
      const view = res.json() as Record<string, unknown>;
      delete view.reversed_by; // arrives later, as the reversal's own event
      expect(e.data).toEqual(view);
    }
    expect(events[0]!.data).toMatchObject({ amount: '100.50', balance: '100.50' });
  });

  it('every ledger row type and status maps to a name in the one list, as the trigger names it', async () => {
    for (const type of LEDGER_TYPES) for (const status of STORED_STATUSES) expect(EVENT_TYPES).toContain(eventTypeOf(type, status));
    const r = await admin.query<{ operation_type: string; status: string; type: string }>(`
      SELECT DISTINCT o.operation_type, o.status, e.type FROM operations o
        JOIN event_log e ON e.wallet_id = o.wallet_id AND e.wallet_seq = o.seq`);
    expect(r.rows.length).toBeGreaterThan(0);
    for (const row of r.rows) expect(row.type).toBe(eventTypeOf(row.operation_type as never, row.status as never));
  });
});

describe('the feed', () => {
  it('pages in order and resumes from any cursor; an empty page keeps the cursor', async () => {
    const w = await createWallet(t.app);
    for (let i = 1; i <= 5; i++) await operate(t.app, w, { operation_type: 'DEPOSIT', amount: `${i}.00` });
    await visible(t.app, w);
    const first = await page(t.app, `wallet_id=${w}&limit=2`);
    expect(first.items.map((e) => e.seq)).toEqual([1, 2]);
    const second = await page(t.app, `wallet_id=${w}&limit=2&cursor=${first.next_cursor}`);
    expect(second.items.map((e) => e.seq)).toEqual([3, 4]);
    // resuming from the same cursor twice gives the same page
    expect((await page(t.app, `wallet_id=${w}&limit=2&cursor=${first.next_cursor}`)).items).toEqual(second.items);
    const third = await page(t.app, `wallet_id=${w}&limit=2&cursor=${second.next_cursor}`);
    expect(third.items.map((e) => e.seq)).toEqual([5]);
    const empty = await page(t.app, `wallet_id=${w}&limit=2&cursor=${third.next_cursor}`);
    expect(empty).toEqual({ items: [], next_cursor: third.next_cursor });
    await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '1.00' });
    const later = await waitFor(async () => {
      const p = await page(t.app, `wallet_id=${w}&cursor=${third.next_cursor}`);
      return p.items.length > 0 ? p : undefined;
    }, 10_000, 'the new event');
    expect(later.items.map((e) => e.seq)).toEqual([6]);
    expect((await page(t.app, `wallet_id=${w}&type=operation.rejected`)).items).toEqual([]);
  });

  it('a batch\'s events (one outbox row) page one by one, cursors inside the row included; a cursor of before 017 still works', async () => {
    const w = await createWallet(t.app);
    // concurrent deposits on one wallet: the engine applies them in a few batches, one outbox row each
    const results = await Promise.all(Array.from({ length: 30 }, () => operate(t.app, w, { operation_type: 'DEPOSIT', amount: '1.00' })));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '999.00' }, { 'idempotency-key': 'range-refusal' });
    await visible(t.app, w);
    const rows = (await admin.query<{ n: string; widest: string }>(
      'SELECT count(*) AS n, max(seq_last - wallet_seq + 1) AS widest FROM events WHERE wallet_id = $1', [w])).rows[0]!;
    expect(Number(rows.widest)).toBeGreaterThan(1); // at least one row names several ledger rows
    const all = await allEvents(t.app, w, 4);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(new Set(all.map((e) => e.id)).size).toBe(31);
    expect(all.at(-1)).toMatchObject({ type: 'operation.rejected', data: { status: 'REJECTED', amount: '999.00', balance: '30.00' } });
    expect((all.at(-1)!.data as { detail: string }).detail).toMatch(/^Insufficient funds/);
    // every event equals the API's view of its ledger row
    for (const e of all.slice(0, 5)) {
      const op = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/operations/${(e.data as { id: string }).id}` })).json();
      expect(e.data).toEqual(op);
    }
    // a cursor written before changeset 017 (no "s") stands after its whole row
    const first = await page(t.app, `wallet_id=${w}&limit=1`);
    const old = JSON.parse(Buffer.from(first.next_cursor!, 'base64url').toString()) as Record<string, string>;
    delete old.s;
    const after = await page(t.app, `wallet_id=${w}&limit=500&cursor=${Buffer.from(JSON.stringify(old)).toString('base64url')}`);
    const firstRow = (await admin.query<{ seq_last: string }>('SELECT seq_last FROM events WHERE wallet_id = $1 ORDER BY position LIMIT 1', [w])).rows[0]!;
    expect(after.items[0]!.seq).toBe(Number(firstRow.seq_last) + 1);
  });

  it('answers 422 for a bad cursor, a cursor of another tenant, and a limit out of bounds', async () => {
    for (const cursor of ['garbage!', 'eyJ2IjoyfQ', Buffer.from('{"v":1,"t":"x","x":"-1","p":"1"}').toString('base64url')]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/events?cursor=${cursor}` });
      expect(res.statusCode).toBe(422);
    }
    const w = await createWallet(t.app);
    await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '1.00' });
    await visible(t.app, w);
    const mine = await page(t.app, `wallet_id=${w}`);
    const res = await other.app.inject({ method: 'GET', url: `/api/v1/events?cursor=${mine.next_cursor}` });
    if (t.tenant !== other.tenant) {
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ detail: [{ loc: ['query', 'cursor'], msg: 'Cursor belongs to another tenant' }] });
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/events?limit=501' })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/events?type=nope' })).statusCode).toBe(422);
  });

  it("shows only the caller's tenant", async () => {
    if (t.tenant === other.tenant) return; // AUTH_REQUIRED=false: one tenant
    const w = await createWallet(t.app);
    await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '1.00' });
    expect((await page(other.app, `wallet_id=${w}`)).items).toEqual([]);
    const theirs = await page(other.app, 'limit=500');
    expect(theirs.items.some((e) => e.wallet_id === w)).toBe(false);
  });
});

describe('the cursor never skips', () => {
  it('a transaction with a smaller xid that commits later is not passed, and a wallet keeps its seq order', async () => {
    const w1 = await createWallet(t.app);
    const w2 = await createWallet(t.app);
    const early = await admin.connect();
    const late = await admin.connect();
    // deposits of 1.00 written by hand (balance = seq), the wallet row kept in step for reconcile
    const insert = async (c: pg.PoolClient, w: string, seq: number) => {
      await c.query(`INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status)
        VALUES ($1, gen_random_uuid(), $2::bigint, 'DEPOSIT', 1, $2::bigint, 'SUCCESS')`, [w, seq]);
      await c.query('UPDATE wallets SET balance = $2::bigint::numeric(18,2), last_seq = $2::bigint WHERE id = $1', [w, seq]);
    };
    // a consumer at the end of the tenant's feed before either transaction starts
    const follow = async (from: string | null) => {
      const items: EventItem[] = [];
      let at = from;
      for (let i = 0; i < 10_000; i++) {
        const p = await page(t.app, `limit=500${at ? `&cursor=${at}` : ''}`);
        at = p.next_cursor;
        if (p.items.length === 0) break;
        items.push(...p.items);
      }
      return { items, cursor: at };
    };
    let cursor = (await follow(null)).cursor;
    try {
      await early.query('BEGIN');
      const xEarly = (await early.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x;
      await late.query('BEGIN');
      const xLate = (await late.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x;
      expect(BigInt(xEarly)).toBeLessThan(BigInt(xLate));
      await insert(late, w2, 1);
      await insert(late, w1, 1);
      await late.query('COMMIT');
      // committed, but a transaction with a smaller xid is still running: not served yet
      const before = await follow(cursor);
      expect(before.items.some((e) => e.wallet_id === w1 || e.wallet_id === w2)).toBe(false);
      cursor = before.cursor;
      await insert(early, w1, 2);
      await insert(early, w2, 2);
      await early.query('COMMIT');
    } finally {
      early.release();
      late.release();
    }
    // the consumer, following the cursor it already holds, still gets all four, each wallet in seq order
    const mine: EventItem[] = [];
    await waitFor(async () => {
      const next = await follow(cursor);
      cursor = next.cursor;
      mine.push(...next.items.filter((e) => e.wallet_id === w1 || e.wallet_id === w2));
      return mine.length >= 4 ? true : undefined;
    }, 10_000, 'the four events');
    expect(mine.filter((e) => e.wallet_id === w1).map((e) => e.seq)).toEqual([1, 2]);
    expect(mine.filter((e) => e.wallet_id === w2).map((e) => e.seq)).toEqual([1, 2]);
  });
});
