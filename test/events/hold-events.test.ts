/**
 * Hold events (changeset 016): created, rejected (stored for its key), captured, voided and expired,
 * each with the hold as GET /api/v1/holds/{id} showed it right after the change, in one order with
 * the wallet's ledger events (the capture's CAPTURE row is an operation event).
 */
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { EventItem } from '../../src/ledger/event-schemas.js';
import { createWallet, operate, useAdminPool, useTestApp, waitFor } from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

const post = (app: FastifyInstance, url: string, body?: unknown, headers: Record<string, string> = {}) => app.inject({
  method: 'POST', url, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
  ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
});

describe('hold events', () => {
  it('one per stored hold and per closing, with the API\'s view, in the wallet\'s order', async () => {
    const w = await createWallet(t.app);
    const views = new Map<string, unknown>(); // `${id}/${status}` → GET /holds/{id} right after the change
    const seen = async (id: string) => {
      const view = (await t.app.inject({ method: 'GET', url: `/api/v1/holds/${id}` })).json() as { status: string };
      views.set(`${id}/${view.status}`, view);
    };
    expect((await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '100.00' })).statusCode).toBe(200);
    const placed = await post(t.app, `/api/v1/wallets/${w}/holds`, { amount: '30.00' });
    expect(placed.json(), placed.body).toMatchObject({ status: "HELD" });
    const a = placed.json() as { id: string };
    await seen(a.id);
    const captured = await post(t.app, `/api/v1/holds/${a.id}/capture`, { amount: '25.00' });
    expect(captured.statusCode, captured.body).toBe(200);
    await seen(a.id);
    const b = (await post(t.app, `/api/v1/wallets/${w}/holds`, { amount: '10.00' })).json() as { id: string };
    await seen(b.id);
    expect((await post(t.app, `/api/v1/holds/${b.id}/void`)).statusCode).toBe(200);
    await seen(b.id);
    const c = (await post(t.app, `/api/v1/wallets/${w}/holds`, { amount: '5.00', expires_in_seconds: 3600 })).json() as { id: string };
    await seen(c.id);
    // lapse it without waiting (admin only), then the next batch on the wallet writes EXPIRED
    await admin.query(`UPDATE holds SET created_at = created_at - interval '2 hours', expires_at = expires_at - interval '2 hours'
      WHERE id = $1`, [c.id]);
    expect((await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '1.00' })).statusCode).toBe(200);
    await seen(c.id);
    const refused = await post(t.app, `/api/v1/wallets/${w}/holds`, { amount: '1000.00' }, { 'idempotency-key': 'too-much' });
    expect(refused.statusCode).toBe(400);
    const d = (await admin.query<{ id: string }>(`SELECT id FROM holds WHERE wallet_id = $1 AND status = 'REJECTED'`, [w])).rows[0]!;
    await seen(d.id);

    const expected = ['operation.succeeded', 'hold.created', 'hold.captured', 'operation.succeeded', 'hold.created', 'hold.voided',
      'hold.created', 'hold.expired', 'operation.succeeded', 'hold.rejected'];
    const events = await waitFor(async () => {
      const items = ((await t.app.inject({ method: 'GET', url: `/api/v1/events?wallet_id=${w}&limit=500` })).json() as
        { items: EventItem[] }).items;
      return items.length >= expected.length ? items : undefined;
    }, 10_000, 'the wallet\'s events');
    expect(events.map((e) => e.type)).toEqual(expected);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const e of events.filter((x) => x.type.startsWith('hold.'))) {
      expect(e.data, e.type).toEqual(views.get(`${e.data.id as string}/${e.data.status as string}`));
      expect(e.seq).toBeNull();
    }
    // the capture's ledger row: an operation event with the API's view of that row
    const captureRow = events[3]!;
    expect(captureRow.data).toMatchObject({ id: a.id, operation_type: 'CAPTURE', amount: '25.00', status: 'SUCCESS' });
    const op = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${w}/operations/${a.id}` })).json();
    expect(captureRow.data).toEqual(op);
  });
});
