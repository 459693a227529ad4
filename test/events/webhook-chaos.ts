/**
 * The delivery guarantee under faults. Two real server processes share the database; a local
 * receiver fails, hangs past the attempt timeout or answers slowly at random; load runs against both
 * while one is SIGKILLed in the middle of delivering. Then: every committed event is delivered at
 * least once, nothing that did not commit ever is, duplicates carry the same id and body, each
 * wallet's events first arrive in seq order, and every request verifies with standardwebhooks.
 * Run from webhooks.test.ts, after its other tests: every test app with a dispatcher shares the
 * database, and one configured to give up after a second (as a test there is) would fail these
 * deliveries, so the two must not run at the same time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { expect, inject } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';
import { OPEN_TENANT } from '../../src/auth/auth-plugin.js';
import { adminPool, authRequired, bearer, makeKey, newTenant, waitFor } from '../support/test-app.js';
import { type Behaviour, startReceiver } from '../support/webhook-receiver.js';

const ATTEMPT_TIMEOUT_MS = 300;
const LOAD_MS = 4000;
const WALLETS = 16;
const WORKERS = 4;
/** A bound on the requests as well as on the time, so a fast machine does not make the run long. */
const REQUESTS_MAX = 400;

const children: ChildProcess[] = [];

async function startServer(): Promise<{ base: string; child: ChildProcess; exited: Promise<number | null> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: inject('databaseUrl'), MIGRATE_ON_START: 'false', HOST: '127.0.0.1', PORT: String(port),
      LOG_LEVEL: 'error', WEBHOOK_DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS), WEBHOOK_POLL_INTERVAL_MS: '20', WEBHOOK_RETRY_BASE_DELAY_MS: '20',
      WEBHOOK_RETRY_MAX_DELAY_MS: '200', WEBHOOK_PAUSE_AFTER_FAILURES: '1000000', WEBHOOK_RUN_MAX: '20', SHUTDOWN_GRACE_MS: '2000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/health`).then((r) => r.ok, () => false)) || undefined, 40_000, 'a server');
  return { base, child, exited };
}

/** 55% answered 200 at once, 15% 500, 10% never answered (timeout), 20% slow (some past the timeout). */
function chaos(): () => Behaviour {
  return () => {
    const r = Math.random();
    if (r < 0.55) return { status: 200 };
    if (r < 0.70) return { status: 500 };
    if (r < 0.80) return { hang: true };
    return { status: 200, delayMs: Math.round(Math.random() * ATTEMPT_TIMEOUT_MS * 1.3) };
  };
}

export async function chaosRun(): Promise<void> {
    const admin: pg.Pool = adminPool();
    const receiver = await startReceiver(chaos());
    // Open mode: wallets are tenant default's, and webhooks still need a key, so one of that tenant.
    const auth = bearer((await makeKey(authRequired ? newTenant() : OPEN_TENANT)).key);
    const json = { 'content-type': 'application/json', ...auth };
    try {
      const [a, b] = await Promise.all([startServer(), startServer()]);
      const created = await fetch(`${a!.base}/api/v1/webhooks`, { method: 'POST', headers: json,
        body: JSON.stringify({ url: receiver.url, event_types: ['operation.succeeded', 'operation.rejected', 'transfer.sent',
          'transfer.received', 'transfer.rejected'] }) });
      expect(created.status).toBe(200);
      const sub = await created.json() as { id: string; secret: string };
      const wallets: string[] = [];
      for (let i = 0; i < WALLETS; i++) {
        wallets.push(((await (await fetch(`${a!.base}/api/v1/wallets`, { method: 'POST', headers: auth })).json()) as { id: string }).id);
      }

      // load on both processes; B is killed once deliveries are flowing
      const deadline = Date.now() + LOAD_MS;
      let bAlive = true;
      let sent = 0;
      const worker = async (n: number) => {
        for (let i = 0; Date.now() < deadline && sent < REQUESTS_MAX; i++, sent++) {
          const base = n % 2 === 0 || !bAlive ? a!.base : b!.base;
          const w = wallets[Math.floor(Math.random() * WALLETS)]!;
          const r = Math.random();
          const amount = `${1 + Math.floor(Math.random() * 20)}.00`;
          const request = r < 0.55
            ? fetch(`${base}/api/v1/wallets/${w}/operation`, { method: 'POST', headers: json, body: JSON.stringify({ operation_type: 'DEPOSIT', amount }) })
            : r < 0.8
              ? fetch(`${base}/api/v1/wallets/${w}/operation`, { method: 'POST',
                headers: { ...json, ...(i % 3 === 0 ? { 'idempotency-key': `k-${n}-${i}` } : {}) },
                body: JSON.stringify({ operation_type: 'WITHDRAW', amount }) })
              : fetch(`${base}/api/v1/transfers`, { method: 'POST', headers: json,
                body: JSON.stringify({ from_wallet_id: w, to_wallet_id: wallets[(wallets.indexOf(w) + 1) % WALLETS], amount }) });
          await request.then((res) => res.arrayBuffer(), () => undefined); // B's requests fail once it is gone
        }
      };
      const killer = (async () => {
        await waitFor(async () => (receiver.requests > 30 ? true : undefined), 20_000, 'deliveries to flow');
        bAlive = false;
        b!.child.kill('SIGKILL');
        await b!.exited;
      })();
      await Promise.all([...Array.from({ length: WORKERS }, (_, n) => worker(n)), killer]);

      // something that never commits: its event must never arrive
      const doomed = await admin.connect();
      let doomedEvent = '';
      try {
        await doomed.query('BEGIN');
        await doomed.query(`INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status)
          VALUES ($1, gen_random_uuid(), 1000000, 'DEPOSIT', 1, 1, 'SUCCESS')`, [wallets[0]]);
        doomedEvent = (await doomed.query<{ id: string }>('SELECT id FROM event_log WHERE wallet_id = $1 AND wallet_seq = 1000000',
          [wallets[0]])).rows[0]!.id;
        await doomed.query('ROLLBACK');
      } finally {
        doomed.release();
      }

      // the ledger's committed rows, and their events: one each, both ways
      const ledger = await admin.query<{ event_id: string; wallet_id: string; seq: string; has_event: boolean }>(`
        SELECT md5(o.wallet_id::text || ':' || o.id::text)::uuid::text AS event_id, o.wallet_id, o.seq,
               EXISTS (SELECT 1 FROM event_log e WHERE e.wallet_id = o.wallet_id AND e.wallet_seq = o.seq
                          AND e.operation_id = o.id) AS has_event
          FROM operations o WHERE o.wallet_id = ANY ($1::uuid[])`, [wallets]);
      const eventCount = await admin.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE wallet_id = ANY ($1::uuid[])', [wallets]);
      expect(ledger.rows.length).toBeGreaterThan(50);
      expect(ledger.rows.every((r) => r.has_event)).toBe(true);
      expect(Number(eventCount.rows[0]!.n)).toBe(ledger.rows.length);
      const committed = new Set(ledger.rows.map((r) => r.event_id));

      const loadEnded = Date.now();
      const verifier = new Webhook(sub.secret);
      const acknowledgedIds = () => new Set(receiver.acknowledged.map((r) => r.headers['webhook-id']));
      try {
        await waitFor(async () => {
          const got = acknowledgedIds();
          return [...committed].every((id) => got.has(id)) ? true : undefined;
        }, 60_000, 'every committed event to be acknowledged');
      } catch (error) {
        const got = acknowledgedIds();
        const missing = [...committed].filter((id) => !got.has(id));
        const queues = await admin.query(`SELECT pending, count(*)::int AS n, min(next_attempt_at) AS next, max(attempts) AS attempts
          FROM webhook_streams WHERE subscription_id = $1 GROUP BY pending`, [sub.id]);
        console.error(`chaos: ${missing.length} of ${committed.size} not acknowledged; queues: ${JSON.stringify(queues.rows)}`);
        throw error;
      }

      console.log(`chaos: ${committed.size} events, ${receiver.received.length} requests, all acknowledged ` +
        `${Date.now() - loadEnded} ms after the load`);
      const bodies = new Map<string, string>();
      const firstArrival = new Map<string, number>();
      const foreign = new Set<string>();
      receiver.received.forEach((r, index) => {
        const id = r.headers['webhook-id']!;
        const event = verifier.verify(r.body, r.headers) as { id: string; wallet_id: string; seq: number };
        expect(event.id).toBe(id);
        // Under AUTH_REQUIRED=false the tenant (`default`) is shared with other tests: their events are checked below.
        if (!wallets.includes(event.wallet_id)) {
          foreign.add(id);
          return;
        }
        expect(committed.has(id)).toBe(true); // nothing that did not commit
        if (bodies.has(id)) expect(r.body).toBe(bodies.get(id)); // a duplicate is the same event
        else {
          bodies.set(id, r.body);
          firstArrival.set(`${event.wallet_id}/${event.seq}`, index);
        }
      });
      expect(bodies.has(doomedEvent)).toBe(false);
      if (foreign.size > 0) {
        const known = await admin.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE id = ANY ($1::uuid[])', [[...foreign]]);
        expect(Number(known.rows[0]!.n)).toBe(foreign.size); // committed events of other tests
      }
      // each wallet's events first arrive in seq order
      for (const w of wallets) {
        const seqs = ledger.rows.filter((r) => r.wallet_id === w).map((r) => Number(r.seq)).sort((x, y) => x - y);
        const order = seqs.map((s) => firstArrival.get(`${w}/${s}`)!);
        expect(order).toEqual([...order].sort((x, y) => x - y));
      }
      expect(receiver.received.length).toBeGreaterThan(committed.size); // failures and duplicates really happened

      // Every wallet queue drains. Not at once: a request the receiver answered only after the
      // sender's timeout counts as acknowledged above but as failed to the sender, which retries
      // it (a duplicate) after its backoff.
      const pendingOfRun = async () => {
        const deliveries = await fetch(`${a!.base}/api/v1/webhooks/${sub.id}/deliveries?state=pending&limit=500`, { headers: auth });
        return ((await deliveries.json()) as { items: { wallet_id: string }[] }).items.filter((d) => wallets.includes(d.wallet_id));
      };
      await waitFor(async () => ((await pendingOfRun()).length === 0 ? true : undefined), 30_000, 'every wallet queue to drain')
        .catch(async () => expect(await pendingOfRun()).toEqual([]));
      await fetch(`${a!.base}/api/v1/webhooks/${sub.id}`, { method: 'DELETE', headers: auth });
      a!.child.kill('SIGTERM');
      expect(await a!.exited).toBe(0);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      await receiver.close();
      await admin.end();
    }
}
