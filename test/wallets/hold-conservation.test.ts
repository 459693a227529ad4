/**
 * Holds under load: random transfers, deposits, withdrawals, holds (some lapsing during the run),
 * captures (whole or partial), voids and reversals (of operations, transfers and captures) over
 * 50 wallets, hundreds in flight, through two apps with their own pools and batchers (as two
 * processes would be), directly or through PgBouncer (TEST_VIA_PGBOUNCER=1). Afterwards: the
 * total is exact to the cent, no available balance is negative, each hold was closed at most
 * once and each capture has its ledger row, no client saw a deadlock (or any FAILED / PENDING /
 * 5xx), and reconcile passes.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCents, parseCents } from '../../src/lib/cents.js';
import { reconcile, formatReport } from '../../src/reconcile/reconcile.js';
import { adminPool, createTestApp, createWallet, injectWithHeaders, type TestApp } from '../support/test-app.js';

const WALLETS = Number(process.env.HOLD_CONSERVATION_WALLETS ?? 50);
const REQUESTS = Number(process.env.HOLD_CONSERVATION_REQUESTS ?? 2000);
const IN_FLIGHT = Number(process.env.HOLD_CONSERVATION_IN_FLIGHT ?? 300);
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
  | { kind: 'hold'; w: number; cents: bigint; seconds: number }
  /** Of a hold answered HELD earlier (picked when sent); amount: a part, or all when absent. */
  | { kind: 'capture'; of?: Answered; cents?: bigint }
  | { kind: 'void'; of?: Answered }
  /** Of an earlier applied operation, transfer or capture (picked when sent). */
  | { kind: 'reverse'; of?: Answered };

interface Answered { req: Request; status: number; body: Record<string, unknown> }

function randomRequest(hot: boolean): Request {
  const pick = () => (hot && Math.random() < 0.4 ? Math.floor(Math.random() * 2) : Math.floor(Math.random() * WALLETS));
  const cents = BigInt(1 + Math.floor(Math.random() * 4000));
  const r = Math.random();
  if (r < 0.25) {
    const from = pick();
    let to = pick();
    if (to === from) to = (from + 1 + Math.floor(Math.random() * (WALLETS - 1))) % WALLETS;
    return { kind: 'transfer', from, to, cents };
  }
  if (r < 0.35) return { kind: 'DEPOSIT', w: pick(), cents };
  if (r < 0.43) return { kind: 'WITHDRAW', w: pick(), cents };
  // one hold in five lapses after a second, so that expiry happens under load
  if (r < 0.65) return { kind: 'hold', w: pick(), cents, seconds: Math.random() < 0.2 ? 1 : 3600 };
  if (r < 0.80) return { kind: 'capture' };
  if (r < 0.90) return { kind: 'void' };
  return { kind: 'reverse' };
}

const ok = (a: Answered) => a.status === 200 && ['SUCCESS', 'HELD', 'CAPTURED', 'VOIDED'].includes(String(a.body.status));

describe('holds conserve money under concurrency', () => {
  it(`${REQUESTS} random requests over ${WALLETS} wallets, ${IN_FLIGHT} in flight, two apps`, async () => {
    const [first] = apps as [TestApp, TestApp];
    const ids = await Promise.all(Array.from({ length: WALLETS }, () => createWallet(first.app)));
    await Promise.all(ids.map((id) => first.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/operation`,
      payload: { operation_type: 'DEPOSIT', amount: formatCents(INITIAL_CENTS) } })));
    const deadlocksBefore = await deadlocks();

    const plan = Array.from({ length: REQUESTS }, (_, i) => randomRequest(i % 2 === 0));
    const answers: Answered[] = [];
    const held: Answered[] = [];
    const reversible: Answered[] = [];
    const any = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      const app = apps[worker % 2]!.app;
      const post = async (url: string, payload?: unknown) => {
        const res = await app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
        return { status: res.statusCode, body: res.json() as Record<string, unknown> };
      };
      while (next < plan.length) {
        const req = plan[next++]!;
        let res: { status: number; body: Record<string, unknown> };
        switch (req.kind) {
          case 'transfer':
            res = await post('/api/v1/transfers', { from_wallet_id: ids[req.from], to_wallet_id: ids[req.to], amount: formatCents(req.cents) });
            break;
          case 'DEPOSIT': case 'WITHDRAW':
            res = await post(`/api/v1/wallets/${ids[req.w]}/operation`, { operation_type: req.kind, amount: formatCents(req.cents) });
            break;
          case 'hold':
            res = await post(`/api/v1/wallets/${ids[req.w]}/holds`, { amount: formatCents(req.cents), expires_in_seconds: req.seconds });
            break;
          case 'capture': case 'void': {
            req.of = any(held);
            if (!req.of) continue;
            const holdCents = parseCents(String(req.of.body.amount));
            if (req.kind === 'capture' && Math.random() < 0.5) req.cents = 1n + BigInt(Math.floor(Math.random() * Number(holdCents)));
            res = await post(`/api/v1/holds/${String(req.of.body.id)}/${req.kind}`,
              req.kind === 'capture' ? (req.cents === undefined ? {} : { amount: formatCents(req.cents) }) : undefined);
            break;
          }
          case 'reverse': {
            req.of = any(reversible);
            if (!req.of) continue;
            const of = req.of;
            res = await post(of.req.kind === 'transfer' ? `/api/v1/transfers/${String(of.body.id)}/reverse`
              : `/api/v1/wallets/${String(of.body.wallet_id)}/operations/${String(of.body.id)}/reverse`);
            break;
          }
        }
        const answered: Answered = { req, ...res };
        answers.push(answered);
        if (!ok(answered)) continue;
        if (req.kind === 'hold') held.push(answered);
        else if (req.kind === 'transfer' || req.kind === 'DEPOSIT' || req.kind === 'WITHDRAW' || req.kind === 'capture') {
          reversible.push(answered);
        }
      }
    }));
    const elapsedMs = performance.now() - startedAt;

    // Every answer is applied, or a refusal a client can expect: funds, already reversed, hold closed.
    const unexpected = answers.filter((a) => !ok(a) &&
      !(a.status === 400 && /^Insufficient funds/.test(String(a.body.detail))) &&
      !(a.req.kind === 'reverse' && a.status === 409 && /already reversed/.test(String(a.body.detail))) &&
      !((a.req.kind === 'capture' || a.req.kind === 'void') && a.status === 409 && /status (CAPTURED|VOIDED|EXPIRED)/.test(String(a.body.detail))));
    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(JSON.stringify(answers.map((a) => a.body))).not.toMatch(/deadlock/i);
    expect((await deadlocks()) - deadlocksBefore).toBe(0);

    // Each hold closed at most once; a capture's answer names its amount.
    const closes = answers.filter((a) => (a.req.kind === 'capture' || a.req.kind === 'void') && a.status === 200);
    const closedHolds = closes.map((a) => String(a.body.id));
    expect(new Set(closedHolds).size).toBe(closedHolds.length);

    // The total equals what came in minus what went out, to the cent.
    let expected = INITIAL_CENTS * BigInt(WALLETS);
    const cents = (text: unknown) => parseCents(String(text));
    for (const a of answers) {
      if (a.status !== 200) continue;
      const { req } = a;
      if (req.kind === 'DEPOSIT') expected += req.cents;
      if (req.kind === 'WITHDRAW') expected -= req.cents;
      if (req.kind === 'capture') expected -= cents(a.body.captured_amount);
      if (req.kind === 'reverse') {
        const of = req.of!;
        if (of.req.kind === 'DEPOSIT') expected -= of.req.cents; // a deposit taken back
        if (of.req.kind === 'WITHDRAW') expected += of.req.cents; // a withdrawal given back
        if (of.req.kind === 'capture') expected += cents(of.body.captured_amount); // a capture given back
      }
    }
    const wallets = await admin.query<{ balance: string; held: string }>(
      'SELECT balance::text, held::text FROM wallets WHERE id = ANY ($1::uuid[])', [ids]);
    const total = wallets.rows.reduce((sum, r) => sum + parseCents(r.balance), 0n);
    expect(formatCents(total)).toBe(formatCents(expected));
    expect(wallets.rows.filter((r) => parseCents(r.balance) - parseCents(r.held) < 0n)).toEqual([]);
    // As clients see it: no available balance below zero.
    const seen = await Promise.all(ids.map(async (id) => (await first.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` }))
      .json() as { balance: string; available_balance: string }));
    expect(seen.filter((w) => parseCents(w.available_balance) < 0n || parseCents(w.available_balance) > parseCents(w.balance))).toEqual([]);

    // Every CAPTURED answer has its ledger row with the amount it answered, and no other capture exists.
    const captured = closes.filter((a) => a.req.kind === 'capture');
    const rows = await admin.query<{ id: string; amount: string }>(
      `SELECT id::text, amount::text FROM operations WHERE wallet_id = ANY ($1::uuid[]) AND operation_type = 'CAPTURE'`, [ids]);
    expect(rows.rows).toHaveLength(captured.length);
    const byId = new Map(rows.rows.map((r) => [r.id, r.amount]));
    for (const a of captured) expect(byId.get(String(a.body.id))).toBe(a.body.captured_amount);

    const report = await reconcile(admin, { walletIds: ids });
    expect(report.mismatches, formatReport(report)).toEqual([]);
    expect(report.totals.transfersIn).toBe(report.totals.transfersOut);
    expect(report.totals.balances).toBe(formatCents(expected));
    const count = (kind: Request['kind'], pred: (a: Answered) => boolean = ok) => answers.filter((a) => a.req.kind === kind && pred(a)).length;
    const expiredRefusals = answers.filter((a) => a.status === 409 && /status EXPIRED/.test(String(a.body.detail))).length;
    console.info(`hold conservation: ${answers.length} requests in ${Math.round(elapsedMs)} ms over ${WALLETS} wallets, ${IN_FLIGHT} in flight: ` +
      `${count('hold')}/${count('hold', () => true)} holds placed, ${count('capture')}/${count('capture', () => true)} captures, ` +
      `${count('void')}/${count('void', () => true)} voids, ${expiredRefusals} refused as expired, ` +
      `${count('transfer')}/${count('transfer', () => true)} transfers, ${count('reverse')}/${count('reverse', () => true)} reversals; ` +
      `total ${formatCents(total)}, held ${report.totals.held}, captures ${report.totals.captures}`);
  });
});

async function deadlocks(): Promise<number> {
  const r = await admin.query<{ n: string }>('SELECT deadlocks::text AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(r.rows[0]!.n);
}
