/**
 * Conservation under load: random transfers among N wallets, mixed with deposits, withdrawals and
 * reversals of earlier answers (operations and transfers),
 * sent concurrently (hundreds in flight) through two apps with their own pools and batchers (as
 * two processes would be), directly or through PgBouncer (TEST_VIA_PGBOUNCER=1). Afterwards:
 * the total is exactly initial deposits + deposits - withdrawals, no balance is negative, no
 * client saw a deadlock (or any FAILED/PENDING/5xx), every answer matches the ledger, and
 * reconcile passes.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCents, parseCents } from '../../src/lib/cents.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { adminPool, createTestApp, createWallet, injectWithHeaders, type TestApp } from '../support/test-app.js';

const WALLETS = Number(process.env.CONSERVATION_WALLETS ?? 30);
const REQUESTS = Number(process.env.CONSERVATION_REQUESTS ?? 1500);
const IN_FLIGHT = Number(process.env.CONSERVATION_IN_FLIGHT ?? 300);
const INITIAL_CENTS = 10_000n;

let apps: TestApp[];
let admin: pg.Pool;
beforeAll(async () => {
  const first = await createTestApp({ poolSizeMax: 5 });
  const second = await createTestApp({ poolSizeMax: 5 });
  // The second app acts for the first app's tenant: both write the same wallets.
  injectWithHeaders(second.app, first.authHeaders);
  apps = [first, second];
  admin = adminPool();
});
afterAll(async () => {
  for (const t of apps) await t.close();
  await admin.end();
});

type Request =
  | { kind: 'transfer'; from: number; to: number; cents: bigint }
  | { kind: 'DEPOSIT' | 'WITHDRAW'; w: number; cents: bigint }
  /** The reversal of an earlier SUCCESS answer (filled in when it is sent). */
  | { kind: 'reverse'; of?: Answered };

interface Answered { req: Request; status: number; body: Record<string, unknown> }

function randomRequest(hot: boolean): Request {
  const pick = () => (hot && Math.random() < 0.4 ? Math.floor(Math.random() * 2) : Math.floor(Math.random() * WALLETS));
  const cents = BigInt(1 + Math.floor(Math.random() * 4000));
  const r = Math.random();
  if (r < 0.1) return { kind: 'reverse' };
  if (r < 0.7) {
    const from = pick();
    let to = pick();
    if (to === from) to = (from + 1 + Math.floor(Math.random() * (WALLETS - 1))) % WALLETS;
    return { kind: 'transfer', from, to, cents };
  }
  return { kind: r < 0.85 ? 'DEPOSIT' : 'WITHDRAW', w: pick(), cents };
}

describe('transfers conserve money under concurrency', () => {
  it(`${REQUESTS} random requests over ${WALLETS} wallets, ${IN_FLIGHT} in flight, two apps`, async () => {
    const [first] = apps as [TestApp, TestApp];
    const ids = await Promise.all(Array.from({ length: WALLETS }, () => createWallet(first.app)));
    await Promise.all(ids.map((id) => first.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/operation`,
      payload: { operation_type: 'DEPOSIT', amount: formatCents(INITIAL_CENTS) } })));
    const deadlocksBefore = await deadlocks();

    const plan = Array.from({ length: REQUESTS }, (_, i) => randomRequest(i % 2 === 0));
    const answers: Answered[] = [];
    const reversible: Answered[] = [];
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      const app = apps[worker % 2]!.app;
      while (next < plan.length) {
        const req = plan[next++]!;
        if (req.kind === 'reverse') {
          req.of = reversible[Math.floor(Math.random() * reversible.length)];
          if (!req.of) continue;
          const of = req.of;
          const res = await app.inject({ method: 'POST', url: of.req.kind === 'transfer'
            ? `/api/v1/transfers/${String(of.body.id)}/reverse`
            : `/api/v1/wallets/${String(of.body.wallet_id)}/operations/${String(of.body.id)}/reverse` });
          answers.push({ req, status: res.statusCode, body: res.json() });
          continue;
        }
        const res = req.kind === 'transfer'
          ? await app.inject({ method: 'POST', url: '/api/v1/transfers',
            payload: { from_wallet_id: ids[req.from], to_wallet_id: ids[req.to], amount: formatCents(req.cents) } })
          : await app.inject({ method: 'POST', url: `/api/v1/wallets/${ids[req.w]}/operation`,
            payload: { operation_type: req.kind, amount: formatCents(req.cents) } });
        const answered = { req, status: res.statusCode, body: res.json() as Record<string, unknown> };
        answers.push(answered);
        if (answered.status === 200) reversible.push(answered);
      }
    }));
    const elapsedMs = performance.now() - startedAt;

    // Every answer is a SUCCESS or a refusal for funds: no deadlock, FAILED, PENDING or 5xx.
    const unexpected = answers.filter((a) => !(a.status === 200 && a.body.status === 'SUCCESS') &&
      !(a.status === 400 && /^Insufficient funds/.test(String(a.body.detail))) &&
      !(a.req.kind === 'reverse' && a.status === 409 && /already reversed/.test(String(a.body.detail))));
    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(JSON.stringify(answers.map((a) => a.body))).not.toMatch(/deadlock/i);
    expect((await deadlocks()) - deadlocksBefore).toBe(0);

    // The total equals what came in minus what went out, to the cent; nothing is negative.
    let expected = INITIAL_CENTS * BigInt(WALLETS);
    for (const a of answers) {
      if (a.status !== 200 || a.req.kind === 'transfer') continue;
      if (a.req.kind === 'reverse') {
        const of = a.req.of!.req;
        if (of.kind === 'DEPOSIT') expected -= of.cents; // a deposit taken back
        if (of.kind === 'WITHDRAW') expected += of.cents; // a withdrawal given back
        continue;
      }
      expected += a.req.kind === 'DEPOSIT' ? a.req.cents : -a.req.cents;
    }
    // At most one reversal per original applied.
    const reversedOriginals = answers.filter((a) => a.req.kind === 'reverse' && a.status === 200)
      .map((a) => String((a.req as { of: Answered }).of.body.id));
    expect(new Set(reversedOriginals).size).toBe(reversedOriginals.length);
    const balances = await admin.query<{ balance: string }>('SELECT balance::text FROM wallets WHERE id = ANY ($1::uuid[])', [ids]);
    const total = balances.rows.reduce((sum, r) => sum + parseCents(r.balance), 0n);
    expect(formatCents(total)).toBe(formatCents(expected));
    expect(balances.rows.every((r) => parseCents(r.balance) >= 0n)).toBe(true);

    // Every answer matches the ledger: a SUCCESS transfer's two legs carry the balances it
    // answered; a refusal (no key) left no row.
    const transfers = answers.filter((a) => a.req.kind === 'transfer');
    const applied = transfers.filter((a) => a.status === 200);
    const legs = await admin.query<{ id: string; wallet_id: string; operation_type: string; amount: string; balance_after: string }>(
      `SELECT id::text, wallet_id::text, operation_type, amount::text, balance_after::text FROM operations
        WHERE wallet_id = ANY ($1::uuid[]) AND operation_type IN ('TRANSFER_OUT', 'TRANSFER_IN')`, [ids]);
    const byLeg = new Map(legs.rows.map((l) => [`${l.id}/${l.operation_type}`, l]));
    expect(legs.rows).toHaveLength(applied.length * 2);
    for (const a of applied) {
      const out = byLeg.get(`${String(a.body.id)}/TRANSFER_OUT`);
      const incoming = byLeg.get(`${String(a.body.id)}/TRANSFER_IN`);
      expect(out).toMatchObject({ wallet_id: a.body.from_wallet_id, amount: a.body.amount, balance_after: a.body.from_balance });
      expect(incoming).toMatchObject({ wallet_id: a.body.to_wallet_id, amount: a.body.amount, balance_after: a.body.to_balance });
    }

    const report = await reconcile(admin, { walletIds: ids });
    expect(report.mismatches).toEqual([]);
    expect(report.totals.transfersIn).toBe(report.totals.transfersOut);
    expect(report.totals.balances).toBe(formatCents(expected));
    // The figures for the report (seen with --reporter=verbose / in CI logs).
    const reversals = answers.filter((a) => a.req.kind === 'reverse');
    console.info(`conservation: ${answers.length} requests (${transfers.length} transfers, ${applied.length} applied; ` +
      `${reversals.length} reversals, ${reversedOriginals.length} applied), ` +
      `${WALLETS} wallets, ${IN_FLIGHT} in flight, ${Math.round(elapsedMs)} ms, ` +
      `${Math.round(answers.length / (elapsedMs / 1000))} req/s, total ${formatCents(total)}, ledger rows ${report.operations}`);
  });
});

async function deadlocks(): Promise<number> {
  const r = await admin.query<{ n: string }>('SELECT deadlocks::text AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(r.rows[0]!.n);
}
