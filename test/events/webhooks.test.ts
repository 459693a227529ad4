/**
 * Webhooks against real PostgreSQL and a local receiver: the API (admin, tenant-scoped, secret shown
 * once and sealed at rest, URL rules), signed delivery that the standardwebhooks verifier accepts,
 * retries with backoff, giving up after the retry window (visible in the API and the metrics), and
 * pausing a subscription that keeps failing.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import {
  bearer, buildTestApp, createWallet, makeKey, newTenant, operate, type TestApp, useAdminPool, useTestApp, waitFor,
} from '../support/test-app.js';
import { startReceiver, type Received } from '../support/webhook-receiver.js';
import { chaosRun } from './webhook-chaos.js';

const base = loadConfig({});
const fast = (more: Partial<Config['webhooks']> = {}): Partial<Config> => ({
  webhooks: { ...base.webhooks, dispatcherEnabled: true, allowPrivateNetworks: true, pollIntervalMs: 20, attemptTimeoutMs: 500,
    retryBaseDelayMs: 20, retryMaxDelayMs: 100, lagIntervalMs: 100, secretKeyHex: 'ab'.repeat(32), ...more },
});

const t = useTestApp(fast());
const admin = useAdminPool();

async function subscribe(app: TestApp['app'], url: string, types: string[] | null = ['operation.succeeded', 'operation.rejected']) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/webhooks', payload: { url, ...(types ? { event_types: types } : {}) } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { id: string; secret: string };
}

const remove = (id: string) => t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}` });

describe('the webhook API', () => {
  it('creates (secret once, sealed at rest), lists, gets, deletes; another tenant sees nothing', async () => {
    const created = await subscribe(t.app, 'http://127.0.0.1:9/hook');
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    const stored = (await admin.query<{ secret: string }>('SELECT secret FROM webhook_subscriptions WHERE id = $1', [created.id])).rows[0]!;
    expect(stored.secret.startsWith('v1:')).toBe(true);
    expect(stored.secret).not.toContain(created.secret.slice(6));
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/webhooks' })).json() as { items: { id: string }[] };
    expect(list.items.map((w) => w.id)).toContain(created.id);
    expect(JSON.stringify(list)).not.toContain('whsec_');
    const one = await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.id}` });
    expect(one.json()).toMatchObject({ id: created.id, url: 'http://127.0.0.1:9/hook', paused_at: null, consecutive_failures: 0 });
    expect(one.json()).not.toHaveProperty('secret');
    if (t.key) {
      const stranger = bearer((await makeKey(newTenant())).key);
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.id}`, headers: stranger })).statusCode).toBe(404);
      const reader = bearer((await makeKey(t.tenant, ['wallets:read'])).key);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: reader })).statusCode).toBe(403);
    }
    expect((await remove(created.id)).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.id}` })).statusCode).toBe(404);
    expect((await remove(created.id)).statusCode).toBe(404);
  });

  it('refuses non-http(s) URLs, credentials in URLs, unknown event types, and private addresses unless allowed', async () => {
    const post = (app: TestApp['app'], payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/webhooks', payload });
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'http://user:pw@example.com/', 'not a url']) {
      expect((await post(t.app, { url, event_types: ['operation.succeeded'] })).statusCode).toBe(422);
    }
    expect((await post(t.app, { url: 'https://example.com/', event_types: ['nope'] })).statusCode).toBe(422);
    expect((await post(t.app, { url: 'https://example.com/', event_types: [] })).statusCode).toBe(422);
    const guarded = await buildTestApp();
    for (const url of ['http://127.0.0.1/x', 'http://10.1.2.3/', 'http://[::1]/', 'http://169.254.169.254/latest', 'http://localhost:8000/']) {
      const res = await post(guarded.app, { url, event_types: ['operation.succeeded'] });
      expect(res.statusCode, url).toBe(422);
    }
  });
});

describe('"*": every event type (Stripe\'s convention), also when event_types is omitted', () => {
  it('stores ["*"] and delivers every type: deposits, refusals, transfers, holds', async () => {
    const receiver = await startReceiver();
    const star = await subscribe(t.app, receiver.url, ['*']);
    const omitted = await subscribe(t.app, receiver.url, null); // event_types omitted
    try {
      expect(star).toMatchObject({ event_types: ['*'] });
      expect(omitted).toMatchObject({ event_types: ['*'] });
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${omitted.id}` })).json()).toMatchObject({ event_types: ['*'] });
      const [a, b] = [await createWallet(t.app), await createWallet(t.app)];
      await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '5.00' });
      await operate(t.app, a, { operation_type: 'WITHDRAW', amount: '99.00' }, { 'idempotency-key': 'refused' });
      await t.app.inject({ method: 'POST', url: '/api/v1/transfers', payload: { from_wallet_id: a, to_wallet_id: b, amount: '1.00' } });
      await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${a}/holds`, payload: { amount: '1.00' } });
      const expected = ['operation.succeeded', 'operation.rejected', 'transfer.sent', 'hold.created'];
      for (const sub of [star, omitted]) {
        const types = await waitFor(async () => {
          const got = receiver.acknowledged.filter((r) => JSON.parse(r.body).wallet_id === a)
            .filter((r) => { try { verify(sub.secret, r); return true; } catch { return false; } })
            .map((r) => JSON.parse(r.body).type as string);
          return got.length >= expected.length ? got : undefined;
        }, 15_000, 'every type delivered');
        expect(types).toEqual(expected);
      }
      const pending = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${star.id}/deliveries?state=pending` })).statusCode;
      expect(pending).toBe(200);
    } finally {
      await remove(star.id);
      await remove(omitted.id);
      await receiver.close();
    }
  });

  it('refuses "*" mixed into an unknown type and an empty list', async () => {
    const post = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/webhooks', payload });
    expect((await post({ url: 'https://example.com/', event_types: ['*', 'nope'] })).statusCode).toBe(422);
    expect((await post({ url: 'https://example.com/', event_types: [] })).statusCode).toBe(422);
  });
});

const verify = (secret: string, r: Received) => new Webhook(secret).verify(r.body, r.headers) as { id: string; type: string; seq: number };

describe('delivery', () => {
  it('signs each event (the package verifies it), in order, for events committed after the subscription', async () => {
    const receiver = await startReceiver();
    const w = await createWallet(t.app);
    await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '1.00' }); // before the subscription
    const sub = await subscribe(t.app, receiver.url);
    for (let i = 2; i <= 6; i++) await operate(t.app, w, { operation_type: 'DEPOSIT', amount: `${i}.00` });
    await operate(t.app, w, { operation_type: 'WITHDRAW', amount: '1000.00' }, { 'idempotency-key': 'x' });
    try {
      // From about the subscription's creation: seq 1, committed just before, may come too (its key can
      // still be above the xmin the subscription started from), but everything after it must.
      const mine = () => receiver.acknowledged.filter((r) => JSON.parse(r.body).wallet_id === w);
      const after = () => mine().filter((r) => JSON.parse(r.body).seq >= 2);
      await waitFor(async () => (after().length >= 6 ? true : undefined), 15_000, 'six deliveries');
      const bodies = after().map((r) => verify(sub.secret, r));
      expect(bodies.map((b) => b.seq)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(mine().map((r) => JSON.parse(r.body).seq)).toEqual([...(mine().length > 6 ? [1] : []), 2, 3, 4, 5, 6, 7]);
      expect(bodies.map((b) => b.type)).toEqual([...Array(5).fill('operation.succeeded'), 'operation.rejected']);
      expect(after()[0]!.headers['webhook-id']).toBe(bodies[0]!.id);
      // the feed and the webhook carry the same event
      const feed = (await t.app.inject({ method: 'GET', url: `/api/v1/events?wallet_id=${w}` })).json() as { items: { seq: number }[] };
      expect(after().map((r) => JSON.parse(r.body))).toEqual(feed.items.filter((e) => e.seq >= 2));
      // a forged body fails verification
      expect(() => new Webhook(sub.secret).verify(after()[0]!.body.replace('2.00', '9.00'), after()[0]!.headers)).toThrow();
      const deliveries = await waitFor(async () => {
        const d = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${sub.id}/deliveries?limit=500` })).json() as
          { items: { state: string; wallet_id: string }[] };
        const items = d.items.filter((x) => x.wallet_id === w);
        return items.length >= 6 && items.every((x) => x.state === 'delivered') ? items : undefined;
      }, 5000, 'recorded as delivered');
      expect(deliveries[0]).toMatchObject({ state: 'delivered', attempts: 1, last_status: 200, wallet_id: w });
    } finally {
      await remove(sub.id);
      await receiver.close();
    }
  });

  it('retries with backoff until acknowledged; gives up after the retry window (API and metrics); pauses a failing endpoint', async () => {
    // Under AUTH_REQUIRED=false every test shares tenant `default`: only this wallet's events count here.
    let failuresLeft = 3;
    const w = await createWallet(t.app);
    const receiver = await startReceiver((r) => (JSON.parse(r.body).wallet_id === w && failuresLeft-- > 0 ? { status: 500 } : { status: 204 }));
    const sub = await subscribe(t.app, receiver.url);
    await operate(t.app, w, { operation_type: 'DEPOSIT', amount: '1.00' });
    try {
      const d = await waitFor(async () => {
        const items = ((await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${sub.id}/deliveries?limit=500` })).json() as
          { items: { state: string; attempts: number; last_status: number; wallet_id: string }[] }).items.filter((x) => x.wallet_id === w);
        return items[0]?.state === 'delivered' ? items[0] : undefined;
      }, 10_000, 'delivered after retries');
      expect(d).toMatchObject({ attempts: 4, last_status: 204 });
    } finally {
      await remove(sub.id);
      await receiver.close();
    }

    // an endpoint that never acknowledges: failed once the window is over; paused after 3 failures in a row
    const down = await startReceiver(() => ({ status: 503 }));
    onTestFinished(() => down.close()); // after the apps below, which close when the test finishes
    const strict = await buildTestApp(fast({ retryWindowMs: 1000, pauseAfterFailures: 1000 }));
    let s2: { id: string } | undefined;
    try {
      s2 = await subscribe(strict.app, down.url);
      const w2 = await createWallet(strict.app);
      await operate(strict.app, w2, { operation_type: 'DEPOSIT', amount: '1.00' });
      await waitFor(async () => {
        const items = ((await strict.app.inject({ method: 'GET', url: `/api/v1/webhooks/${s2!.id}/deliveries?state=failed&limit=500` })).json() as
          { items: { last_status: number; wallet_id: string }[] }).items.filter((x) => x.wallet_id === w2);
        return items.length === 1 && items[0]!.last_status === 503 ? true : undefined;
      }, 10_000, 'failed after the window');
      const metrics = (await strict.app.inject({ method: 'GET', url: '/metrics', headers: strict.operatorHeaders })).body;
      expect(metrics).toMatch(/webhook_deliveries_total\{outcome="failed"\} [1-9]/);
      expect(metrics).toMatch(/webhook_attempts_total\{result="http_error"\} [1-9]/);
      expect(metrics).toMatch(/events_outbox_lag_seconds \d/);
    } finally {
      // Gone before the pause check below: `down` must then hear from s3 alone. (Under
      // AUTH_REQUIRED=false every test shares tenant `default`, so s2 would keep receiving other
      // tests' events from the dispatchers that share the database.)
      if (s2) await strict.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${s2.id}` });
      await strict.close(); // its dispatcher stops before the pausing app starts
    }
    const pausing = await buildTestApp(fast({ pauseAfterFailures: 3 }));
    const s3 = await subscribe(pausing.app, down.url);
    const w3 = await createWallet(pausing.app);
    await operate(pausing.app, w3, { operation_type: 'DEPOSIT', amount: '1.00' });
    const paused = await waitFor(async () => {
      const s = (await pausing.app.inject({ method: 'GET', url: `/api/v1/webhooks/${s3.id}` })).json() as { paused_at: string | null };
      return s.paused_at ? s : undefined;
    }, 10_000, 'paused');
    // at least 3: the other test apps' dispatchers (default threshold) share the database and try too
    expect((paused as unknown as { consecutive_failures: number }).consecutive_failures).toBeGreaterThanOrEqual(3);
    const before = down.requests;
    await new Promise((r) => setTimeout(r, 300)); // a paused subscription is not called (a bounded look, not a wait for something)
    expect(down.requests).toBe(before);
    const resumed = await pausing.app.inject({ method: 'POST', url: `/api/v1/webhooks/${s3.id}/resume` });
    expect(resumed.json()).toMatchObject({ paused_at: null, consecutive_failures: 0 });
    await waitFor(async () => (down.requests > before ? true : undefined), 5000, 'called again after resume');
    await pausing.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${s3.id}` });
  });
});

describe('wallet queues', () => {
  it('a queue whose rows are gone is claimed once and rests, not at every step', async () => {
    const receiver = await startReceiver();
    const sub = await subscribe(t.app, receiver.url);
    // Under AUTH_REQUIRED=false every test shares tenant `default`: the subscription also gets
    // queues and deliveries for other tests' wallets, so only the made-up wallet's count here.
    const wallet = randomUUID();
    const queue = (walletId: string) => admin.query<{ pending: boolean; claim: string }>(
      'SELECT pending, claim FROM webhook_streams WHERE subscription_id = $1 AND wallet_id = $2', [sub.id, walletId]);
    try {
      // a queue that says the fan-out passed row 10^12 of a wallet that has no outbox rows at all
      await admin.query(`INSERT INTO webhook_streams (subscription_id, wallet_id, head_position, done_position)
        VALUES ($1, $2, 1000000000000, 999999999999)`, [sub.id, wallet]);
      const rested = await waitFor(async () => {
        const row = (await queue(wallet)).rows[0];
        return row && !row.pending ? row : undefined;
      }, 10_000, 'the queue to rest');
      await new Promise((r) => setTimeout(r, 300)); // some dispatcher steps (poll interval 20 ms): a bounded look
      const after = (await queue(wallet)).rows[0]!;
      expect(Number(after.claim)).toBe(Number(rested.claim));
      expect(Number(after.claim)).toBeLessThanOrEqual(3);
      expect(receiver.received.filter((r) => JSON.parse(r.body).wallet_id === wallet)).toEqual([]);
    } finally {
      await remove(sub.id);
      await receiver.close();
    }
  });
});

describe('webhook delivery under a flaky receiver and a killed process (webhook-chaos.ts)', () => {
  it('delivers every committed event at least once, in order per wallet, signed, and nothing else', chaosRun, 120_000);
});
