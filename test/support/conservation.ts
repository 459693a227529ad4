/**
 * The one conservation driver: random requests of a given mix (transfers, deposits, withdrawals,
 * holds, captures, voids, reversals) over a set of wallets, hundreds in flight, through two apps
 * with their own pools and batchers (as two processes would be), directly or through PgBouncer
 * (TEST_VIA_PGBOUNCER=1). Afterwards:
 * - every answer is applied, or a refusal a client can expect (funds, already reversed, hold
 *   closed): no deadlock, FAILED, PENDING or 5xx, and no deadlock counted by PostgreSQL;
 * - each original is reversed at most once and each hold closed at most once;
 * - the total is exactly initial deposits + deposits - withdrawals - captures ± reversals, to the
 *   cent; no available balance is negative, in the table or as clients read it;
 * - every answer matches the ledger: a SUCCESS transfer's two legs carry the balances it answered,
 *   a CAPTURED answer has its row with the amount it answered, and no other leg or capture exists;
 * - reconcile passes.
 */
import type pg from 'pg';
import { beforeAll, expect } from 'vitest';
import { formatCents, parseCents } from '../../src/lib/cents.js';
import { formatReport, reconcile } from '../../src/reconcile/reconcile.js';
import { createWallet, injectWithHeaders, useAdminPool, useTestApp, type UsedTestApp } from './test-app.js';

export type Kind = 'transfer' | 'DEPOSIT' | 'WITHDRAW' | 'hold' | 'capture' | 'void' | 'reverse';

export interface ConservationLoad {
  /** Named in the figures line (seen with --reporter=verbose and in CI logs). */
  name: string;
  wallets: number;
  requests: number;
  inFlight: number;
  /** The share of each kind of request; they add up to 1. */
  mix: Partial<Record<Kind, number>>;
}

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

const INITIAL_CENTS = 10_000n;
const ok = (a: Answered) => a.status === 200 && ['SUCCESS', 'HELD', 'CAPTURED', 'VOIDED'].includes(String(a.body.status));
const cents = (text: unknown) => parseCents(String(text));
const any = <T>(list: T[]): T | undefined => list[Math.floor(Math.random() * list.length)];

/**
 * Two apps acting for one tenant (the second sends the first one's key) and the admin pool, for
 * the file that calls it; `run` drives one load and checks everything listed above.
 */
export function useConservation(): { run(load: ConservationLoad): Promise<void> } {
  const first = useTestApp({ poolSizeMax: 5 });
  const second = useTestApp({ poolSizeMax: 5 });
  const admin = useAdminPool();
  // The second app acts for the first app's tenant: both write the same wallets.
  beforeAll(() => injectWithHeaders(second.app, first.authHeaders));
  return { run: (load) => runLoad([first, second], admin, load) };
}

function randomRequest(load: ConservationLoad, hot: boolean): Request {
  const pick = () => (hot && Math.random() < 0.4 ? Math.floor(Math.random() * 2) : Math.floor(Math.random() * load.wallets));
  const amount = BigInt(1 + Math.floor(Math.random() * 4000));
  const shares = Object.entries(load.mix) as [Kind, number][];
  let r = Math.random();
  const kind = shares.find(([, share]) => (r -= share) < 0)?.[0] ?? shares.at(-1)![0];
  switch (kind) {
    case 'transfer': {
      const from = pick();
      let to = pick();
      if (to === from) to = (from + 1 + Math.floor(Math.random() * (load.wallets - 1))) % load.wallets;
      return { kind, from, to, cents: amount };
    }
    case 'DEPOSIT': case 'WITHDRAW':
      return { kind, w: pick(), cents: amount };
    case 'hold':
      // one hold in five lapses after a second, so that expiry happens under load
      return { kind, w: pick(), cents: amount, seconds: Math.random() < 0.2 ? 1 : 3600 };
    default:
      return { kind };
  }
}

/** Sends one request; undefined when it has nothing to act on yet (no hold, nothing to reverse). */
async function send(app: UsedTestApp['app'], req: Request, ids: string[], held: Answered[], reversible: Answered[]): Promise<Answered | undefined> {
  const post = async (url: string, payload?: unknown): Promise<Answered> => {
    const res = await app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    return { req, status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  switch (req.kind) {
    case 'transfer':
      return post('/api/v1/transfers', { from_wallet_id: ids[req.from], to_wallet_id: ids[req.to], amount: formatCents(req.cents) });
    case 'DEPOSIT': case 'WITHDRAW':
      return post(`/api/v1/wallets/${ids[req.w]}/operation`, { operation_type: req.kind, amount: formatCents(req.cents) });
    case 'hold':
      return post(`/api/v1/wallets/${ids[req.w]}/holds`, { amount: formatCents(req.cents), expires_in_seconds: req.seconds });
    case 'capture': case 'void': {
      req.of = any(held);
      if (!req.of) return undefined;
      const holdCents = cents(req.of.body.amount);
      if (req.kind === 'capture' && Math.random() < 0.5) req.cents = 1n + BigInt(Math.floor(Math.random() * Number(holdCents)));
      return post(`/api/v1/holds/${String(req.of.body.id)}/${req.kind}`,
        req.kind === 'capture' ? (req.cents === undefined ? {} : { amount: formatCents(req.cents) }) : undefined);
    }
    case 'reverse': {
      req.of = any(reversible);
      if (!req.of) return undefined;
      const of = req.of;
      return post(of.req.kind === 'transfer' ? `/api/v1/transfers/${String(of.body.id)}/reverse`
        : `/api/v1/wallets/${String(of.body.wallet_id)}/operations/${String(of.body.id)}/reverse`);
    }
  }
}

/** The plan, sent by `inFlight` workers taking turns between the apps; every answer, in arrival order. */
async function drive(apps: UsedTestApp[], load: ConservationLoad, ids: string[]): Promise<Answered[]> {
  const plan = Array.from({ length: load.requests }, (_, i) => randomRequest(load, i % 2 === 0));
  const answers: Answered[] = [];
  const held: Answered[] = [];
  const reversible: Answered[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: load.inFlight }, async (_, worker) => {
    const app = apps[worker % apps.length]!.app;
    while (next < plan.length) {
      const answered = await send(app, plan[next++]!, ids, held, reversible);
      if (!answered) continue;
      answers.push(answered);
      if (!ok(answered)) continue;
      const { kind } = answered.req;
      if (kind === 'hold') held.push(answered);
      else if (kind === 'transfer' || kind === 'DEPOSIT' || kind === 'WITHDRAW' || kind === 'capture') reversible.push(answered);
    }
  }));
  return answers;
}

/** Every answer is applied or an expected refusal; each original reversed, each hold closed, at most once. */
function checkAnswers(answers: Answered[]): void {
  const unexpected = answers.filter((a) => !ok(a) &&
    !(a.status === 400 && /^Insufficient funds/.test(String(a.body.detail))) &&
    !(a.req.kind === 'reverse' && a.status === 409 && /already reversed/.test(String(a.body.detail))) &&
    !((a.req.kind === 'capture' || a.req.kind === 'void') && a.status === 409 && /status (CAPTURED|VOIDED|EXPIRED)/.test(String(a.body.detail))));
  expect(unexpected.slice(0, 5)).toEqual([]);
  expect(JSON.stringify(answers.map((a) => a.body))).not.toMatch(/deadlock/i);
  const reversedOriginals = answers.filter((a) => a.req.kind === 'reverse' && a.status === 200)
    .map((a) => String((a.req as { of: Answered }).of.body.id));
  expect(new Set(reversedOriginals).size).toBe(reversedOriginals.length);
  const closedHolds = answers.filter((a) => (a.req.kind === 'capture' || a.req.kind === 'void') && a.status === 200).map((a) => String(a.body.id));
  expect(new Set(closedHolds).size).toBe(closedHolds.length);
}

/** What came in minus what went out, to the cent, by the answers. */
function expectedTotal(answers: Answered[], wallets: number): bigint {
  let expected = INITIAL_CENTS * BigInt(wallets);
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
  return expected;
}

/** Each SUCCESS transfer's two legs carry the balances it answered; each CAPTURED answer has its row; nothing else. */
async function checkRows(admin: pg.Pool, ids: string[], answers: Answered[]): Promise<void> {
  const applied = answers.filter((a) => a.req.kind === 'transfer' && a.status === 200);
  const legs = await admin.query<{ id: string; wallet_id: string; operation_type: string; amount: string; balance_after: string }>(
    `SELECT id::text, wallet_id::text, operation_type, amount::text, balance_after::text FROM operations
      WHERE wallet_id = ANY ($1::uuid[]) AND operation_type IN ('TRANSFER_OUT', 'TRANSFER_IN')`, [ids]);
  const byLeg = new Map(legs.rows.map((l) => [`${l.id}/${l.operation_type}`, l]));
  expect(legs.rows).toHaveLength(applied.length * 2);
  for (const a of applied) {
    expect(byLeg.get(`${String(a.body.id)}/TRANSFER_OUT`))
      .toMatchObject({ wallet_id: a.body.from_wallet_id, amount: a.body.amount, balance_after: a.body.from_balance });
    expect(byLeg.get(`${String(a.body.id)}/TRANSFER_IN`))
      .toMatchObject({ wallet_id: a.body.to_wallet_id, amount: a.body.amount, balance_after: a.body.to_balance });
  }
  const captured = answers.filter((a) => a.req.kind === 'capture' && a.status === 200);
  const rows = await admin.query<{ id: string; amount: string }>(
    `SELECT id::text, amount::text FROM operations WHERE wallet_id = ANY ($1::uuid[]) AND operation_type = 'CAPTURE'`, [ids]);
  expect(rows.rows).toHaveLength(captured.length);
  const byId = new Map(rows.rows.map((r) => [r.id, r.amount]));
  for (const a of captured) expect(byId.get(String(a.body.id))).toBe(a.body.captured_amount);
}

async function deadlocks(admin: pg.Pool): Promise<number> {
  const r = await admin.query<{ n: string }>('SELECT deadlocks::text AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(r.rows[0]!.n);
}

async function runLoad(apps: UsedTestApp[], admin: pg.Pool, load: ConservationLoad): Promise<void> {
  const first = apps[0]!.app;
  const ids = await Promise.all(Array.from({ length: load.wallets }, () => createWallet(first)));
  await Promise.all(ids.map((id) => first.inject({ method: 'POST', url: `/api/v1/wallets/${id}/operation`,
    payload: { operation_type: 'DEPOSIT', amount: formatCents(INITIAL_CENTS) } })));
  const deadlocksBefore = await deadlocks(admin);
  const startedAt = performance.now();
  const answers = await drive(apps, load, ids);
  const elapsedMs = performance.now() - startedAt;

  checkAnswers(answers);
  expect((await deadlocks(admin)) - deadlocksBefore).toBe(0);
  const expected = expectedTotal(answers, load.wallets);
  const wallets = await admin.query<{ balance: string; held: string }>(
    'SELECT balance::text, held::text FROM wallets WHERE id = ANY ($1::uuid[])', [ids]);
  const total = wallets.rows.reduce((sum, r) => sum + parseCents(r.balance), 0n);
  expect(formatCents(total)).toBe(formatCents(expected));
  expect(wallets.rows.filter((r) => parseCents(r.balance) - parseCents(r.held) < 0n)).toEqual([]);
  // As clients see it: no available balance below zero, or above the balance.
  const seen = await Promise.all(ids.map(async (id) => (await first.inject({ method: 'GET', url: `/api/v1/wallets/${id}` }))
    .json() as { balance: string; available_balance: string }));
  expect(seen.filter((w) => parseCents(w.available_balance) < 0n || parseCents(w.available_balance) > parseCents(w.balance))).toEqual([]);
  await checkRows(admin, ids, answers);

  const report = await reconcile(admin, { walletIds: ids });
  expect(report.mismatches, formatReport(report)).toEqual([]);
  expect(report.totals.transfersIn).toBe(report.totals.transfersOut);
  expect(report.totals.balances).toBe(formatCents(expected));
  const count = (kind: Kind) => `${answers.filter((a) => a.req.kind === kind && ok(a)).length}/${answers.filter((a) => a.req.kind === kind).length}`;
  const expiredRefusals = answers.filter((a) => a.status === 409 && /status EXPIRED/.test(String(a.body.detail))).length;
  console.info(`${load.name}: ${answers.length} requests in ${Math.round(elapsedMs)} ms ` +
    `(${Math.round(answers.length / (elapsedMs / 1000))} req/s) over ${load.wallets} wallets, ${load.inFlight} in flight, two apps; ` +
    `applied/sent: ${(Object.keys(load.mix) as Kind[]).map((kind) => `${kind} ${count(kind)}`).join(', ')}; ` +
    `${expiredRefusals} refused as expired; total ${formatCents(total)}, held ${report.totals.held}, ` +
    `captures ${report.totals.captures}, ledger rows ${report.operations}`);
}
