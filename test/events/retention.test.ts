/**
 * Retention (events_prune, through the app's own role) and the OpenAPI entries: old events go,
 * unless a subscription still needs them; the endpoints are documented with examples.
 */
import { describe, expect, it } from 'vitest';
import { pruneEvents } from '../../src/webhooks/webhook-repository.js';
import { createWallet, operate, useAdminPool, useTestApp } from '../support/test-app.js';

const t = useTestApp();
const other = useTestApp();
const admin = useAdminPool();

const eventsOf = async (w: string) => Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE wallet_id = $1', [w])).rows[0]!.n);
const age = (w: string) => admin.query(`UPDATE events SET recorded_at = now() - interval '10 days' WHERE wallet_id = $1`, [w]);

describe('retention', () => {
  it('deletes old events no subscription needs, keeps the rest, in bounded passes', async () => {
    if (t.tenant === other.tenant) return; // AUTH_REQUIRED=false: one tenant, the subscription below would keep both
    const needed = await createWallet(t.app);
    const unneeded = await createWallet(other.app);
    const recent = await createWallet(other.app);
    for (const [app, w] of [[t.app, needed], [other.app, unneeded], [other.app, recent]] as const) {
      await operate(app, w, { operation_type: 'DEPOSIT', amount: '1.00' });
      await operate(app, w, { operation_type: 'DEPOSIT', amount: '2.00' });
    }
    await age(needed);
    await age(unneeded);
    // A subscription of t's tenant that has not fanned these events out yet (paused: nobody delivers it).
    const sub = (await admin.query<{ id: string }>(`INSERT INTO webhook_subscriptions (id, tenant, url, event_types, secret, paused_at,
      cursor_txid, cursor_position) VALUES (gen_random_uuid(), $1, 'http://127.0.0.1:9/', '{operation.succeeded}', 'plain:x', now(), '0', 0)
      RETURNING id`, [t.tenant])).rows[0]!.id;
    try {
      for (let pass = 0; pass < 100 && (await eventsOf(unneeded)) > 0; pass++) await pruneEvents(t.db.kysely, 168, 1);
      expect(await eventsOf(unneeded)).toBe(0);
      expect(await eventsOf(recent)).toBe(2);
      expect(await eventsOf(needed)).toBe(2);
    } finally {
      await admin.query('DELETE FROM webhook_subscriptions WHERE id = $1', [sub]);
    }
    for (let pass = 0; pass < 100 && (await eventsOf(needed)) > 0; pass++) await pruneEvents(t.db.kysely, 168, 1000);
    expect(await eventsOf(needed)).toBe(0);
  });
});

describe('OpenAPI', () => {
  it('documents the feed and the webhook endpoints, with examples', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
    };
    for (const [path, method] of [['/api/v1/events', 'get'], ['/api/v1/webhooks', 'post'], ['/api/v1/webhooks', 'get'],
      ['/api/v1/webhooks/{webhook_id}', 'get'], ['/api/v1/webhooks/{webhook_id}', 'delete'], ['/api/v1/webhooks/{webhook_id}/resume', 'post'],
      ['/api/v1/webhooks/{webhook_id}/deliveries', 'get']] as const) {
      const op = spec.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      if (method !== 'delete') expect(JSON.stringify(op!.responses['200']), `${method} ${path}`).toContain('example');
    }
  });
});
