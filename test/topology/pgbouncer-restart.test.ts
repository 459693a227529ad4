/**
 * PgBouncer crashes (SIGKILL) and comes back on the same port while the app is under load. The
 * app must recover by itself, apply nothing twice, and every answer must be true:
 *   200 SUCCESS  → exactly one ledger row, with the answered id;
 *   200 FAILED   → no ledger row;
 *   200 PENDING  → zero or one row; GET /operations/{id} tells which, and a retry with the same
 *                  Idempotency-Key then replays (applied) or applies it now (not applied), once.
 * Every request carries a distinct amount, so each ledger row maps to exactly one request even
 * without an Idempotency-Key: a double application would show as a second row with that amount.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCents } from '../../src/lib/cents.js';
import { formatMoney } from '../../src/ledger/money.js';
import { pgBouncerAvailable } from '../../tools/pgbouncer/pgbouncer.js';
import { createWallet, operate, useTestApp, waitFor } from '../support/test-app.js';
import { type BouncerFixture, startBouncerFixture } from './bouncer-fixture.js';

const virtualClients = 40;
const walletCount = 8;
/** Responses before the crash, and SUCCESS answers after the restart, before the load stops. */
const beforeCrash = 200;
const successesAfterRestart = 200;
/** FAILED answers to collect while PgBouncer is down (it stays down until then). */
const failuresWhileDown = 10;

interface Sent {
  wallet: string;
  cents: number;
  key: string | undefined;
  phase: 'before' | 'down' | 'after';
  status: number;
  outcome: string;
  id: string | undefined;
}


describe.skipIf(!pgBouncerAvailable() && !process.env.CI)('PgBouncer restarted under load', () => {
  let fx: BouncerFixture;
  beforeAll(async () => { fx = await startBouncerFixture(); });
  afterAll(async () => { await fx?.close(); });
  // A short budget, so requests arriving while PgBouncer is down end as FAILED within the test.
  const t = useTestApp({
    poolSizeMax: 10, operationBudgetMs: 1500, readBudgetMs: 1500, poolConnectTimeoutMs: 1000,
    retryBaseDelayMs: 10, retryMaxDelayMs: 100, retryAttemptsMax: 50,
  }, { url: () => fx.appUrl });

  it('recovers without an app restart; nothing applied twice; every outcome truthful', async () => {
    const wallets = await Promise.all(Array.from({ length: walletCount }, () => createWallet(t.app)));
    const sent: Sent[] = [];
    let phase: Sent['phase'] = 'before';
    let nextCents = 1;
    let stop = false;
    const count = (p: Sent['phase'], outcome?: string) => sent.filter((s) => s.phase === p && (!outcome || s.outcome === outcome)).length;

    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const cents = nextCents++;
        const wallet = wallets[(c + i) % walletCount]!;
        const key = i % 2 === 0 ? `restart-${wallet}-${cents}` : undefined;
        const startedIn = phase;
        const res = await operate(t.app, wallet, { operation_type: 'DEPOSIT', amount: formatCents(cents) }, key ? { 'idempotency-key': key } : {});
        const body = res.json() as { status?: string; id?: string };
        // A request that started before the crash and ended after it counts as in flight at the crash.
        sent.push({ wallet, cents, key, phase: startedIn === 'before' && phase !== 'before' ? 'down' : startedIn,
          status: res.statusCode, outcome: `${res.statusCode} ${body.status ?? ''}`.trim(), id: body.id });
      }
    };
    const load = Promise.all(Array.from({ length: virtualClients }, (_, c) => client(c)));

    await waitFor(async () => (sent.length >= beforeCrash ? true : undefined), 30_000, 'load before the crash');
    await fx.bouncer.kill();
    phase = 'down';
    await waitFor(async () => (count('down', '200 FAILED') >= failuresWhileDown ? true : undefined),
      30_000, 'answers while PgBouncer is down');
    await fx.bouncer.start();
    phase = 'after';
    await waitFor(async () => (count('after', '200 SUCCESS') >= successesAfterRestart ? true : undefined), 60_000, 'recovery after the restart');
    stop = true;
    await load;

    // The truth, read directly from PostgreSQL.
    const rows = (await fx.admin.query<{ wallet_id: string; id: string; cents: number; status: string; idempotency_key: string | null }>(
      `SELECT wallet_id, id, (amount * 100)::int AS cents, status, idempotency_key FROM operations WHERE wallet_id = ANY ($1::uuid[])`,
      [wallets])).rows;
    const byCents = new Map<number, typeof rows>();
    for (const r of rows) byCents.set(r.cents, [...(byCents.get(r.cents) ?? []), r]);

    const tally: Record<string, number> = {};
    const unexpected: Sent[] = [];
    for (const s of sent) {
      const stored = byCents.get(s.cents) ?? [];
      expect(stored.length, `request of ${formatCents(s.cents)} applied at most once`).toBeLessThanOrEqual(1);
      let label = s.outcome;
      if (s.outcome === '200 SUCCESS') {
        expect(stored).toHaveLength(1);
        expect(stored[0]!.id).toBe(s.id);
      } else if (s.outcome === '200 FAILED') {
        expect(stored, `FAILED ${formatCents(s.cents)} must not be applied`).toHaveLength(0);
      } else if (s.outcome === '200 PENDING') {
        // The GET tells the truth...
        const got = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${s.wallet}/operations/${s.id}` });
        expect(got.statusCode).toBe(stored.length === 1 ? 200 : 404);
        label += stored.length === 1 ? ' (was applied)' : ' (was not applied)';
        // ...and a retry with the same key ends it, once.
        if (s.key) {
          const retried = await operate(t.app, s.wallet, { operation_type: 'DEPOSIT', amount: formatCents(s.cents) }, { 'idempotency-key': s.key });
          expect(retried.json()).toMatchObject({ status: 'SUCCESS' });
          expect(retried.headers['idempotency-replayed'] === 'true').toBe(stored.length === 1);
        }
      } else {
        unexpected.push(s);
      }
      tally[`${s.phase}: ${label}`] = (tally[`${s.phase}: ${label}`] ?? 0) + 1;
    }

    // After the PENDING retries: the ledger, the balances and the answers agree.
    const final = (await fx.admin.query<{ wallet_id: string; n: number; sum: string; balance: string }>(
      `SELECT w.id AS wallet_id, count(o.id)::int AS n, coalesce(sum(o.amount), 0)::text AS sum, w.balance::text AS balance
         FROM wallets w LEFT JOIN operations o ON o.wallet_id = w.id AND o.status = 'SUCCESS'
        WHERE w.id = ANY ($1::uuid[]) GROUP BY w.id, w.balance`, [wallets])).rows;
    const dupes = await fx.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT amount FROM operations WHERE wallet_id = ANY ($1::uuid[]) GROUP BY amount HAVING count(*) > 1) d`, [wallets]);
    for (const w of final) expect(formatMoney(w.balance)).toBe(formatMoney(w.sum));
    expect(dupes.rows[0]!.n).toBe(0);

    console.log(`[pgbouncer-restart] requests=${sent.length} ${JSON.stringify(tally)} ` +
      `ledger_rows=${final.reduce((a, w) => a + w.n, 0)} duplicates=${dupes.rows[0]!.n} unexpected=${unexpected.length}`);
    expect(unexpected.map((u) => u.outcome)).toEqual([]);
    expect(count('before', '200 SUCCESS')).toBeGreaterThan(0);
    expect(count('down', '200 FAILED')).toBeGreaterThanOrEqual(failuresWhileDown);
    expect(count('after', '200 SUCCESS')).toBeGreaterThanOrEqual(successesAfterRestart);
  });
});
