/**
 * The transfers-and-holds half of a fault run's verdict: every answer the load got for a transfer,
 * a hold, a capture or a void, against what PostgreSQL holds, and the books of the run's wallets.
 * A violation is:
 * - a transfer stored with one leg only, or with legs that disagree (amount, counterparty, status);
 *   an applied transfer no request explains, or one request applied twice;
 * - a SUCCESS transfer without both legs under its id (or with other balances than answered); a
 *   FAILED one whose id is stored; a request whose every answer says "not applied" (FAILED, 400,
 *   503) applied anyway; a PENDING the ledger contradicts or that never resolved;
 * - a REJECTED leg (or hold) for a request without an Idempotency-Key, or stored with another key;
 * - a HELD answer without its hold; a SUCCESS capture without its CAPTURE row (id = hold id,
 *   amount = the captured amount) or a void that left one; a capture or void answered "not
 *   applied" that closed the hold anyway; a CAPTURE row without a CAPTURED hold;
 * - a wallet whose `held` differs from the sum of its HELD holds;
 * - the run's books not conserved: the sum of balances must equal deposits − withdrawals −
 *   captures − reversals out + reversals in, with transfers out equal to transfers in.
 * Requests whose answer never arrived may be applied or not; they are counted.
 */
import type pg from 'pg';
import { checkLegPairs, type TransferLeg } from '../bench/check/transfer-legs.js';
import { formatCents, parseCents } from '../src/lib/cents.js';
import type { HoldFlow, MoveAttempt, MoveLoad, TransferRequest } from './transfer-hold-load.js';

export interface MoveFigures {
  transfers: number;
  transferAnswers: { SUCCESS: number; REJECTED_400: number; FAILED: number; PENDING: number; NO_RESPONSE: number; other: number };
  /** Transfers stored with both legs (SUCCESS). */
  transfersApplied: number;
  /** Transfer ids with one leg only: must be 0. */
  oneLegOnly: number;
  /** Requests with no definite answer (no answer, or PENDING left aside): found applied / absent. */
  unknownApplied: number;
  unknownAbsent: number;
  holds: number;
  heldAnswers: number;
  captures: { answered: number; rows: number };
  voids: number;
  /** Wallets whose `held` equals the sum of their HELD holds, of all the run's wallets. */
  heldMatches: { ok: number; wallets: number };
  conserved: boolean;
}

export interface MoveVerdict {
  figures: MoveFigures;
  violations: string[];
}

interface LegRow extends TransferLeg { balance_after: string; idempotency_key: string | null }
interface HoldRow { id: string; wallet_id: string; amount: string; status: string; captured_amount: string | null; idempotency_key: string | null }

const notApplied = new Set(['FAILED', 'REJECTED_400', 'OVERLOADED_503']);
/** Every answer says "certainly not applied" (a PENDING resolved ABSENT too). */
const surelyAbsent = (attempts: MoveAttempt[]) =>
  attempts.every((a) => notApplied.has(a.kind) || (a.kind === 'PENDING' && a.resolved === 'ABSENT'));
const answeredIds = (attempts: MoveAttempt[]) => new Set(attempts.flatMap((a) => (a.operationId ? [a.operationId] : [])));
const short = (id: string) => id.slice(0, 8);

async function readBooks(db: pg.Pool, walletIds: readonly string[]) {
  const legs = await db.query<LegRow>(`
    SELECT id::text, wallet_id::text, operation_type, amount::text, status, balance_after::text,
           counterparty_wallet_id::text, idempotency_key
      FROM operations WHERE wallet_id = ANY ($1::uuid[]) AND operation_type IN ('TRANSFER_OUT', 'TRANSFER_IN', 'CAPTURE')`, [walletIds]);
  const holds = await db.query<HoldRow>(`
    SELECT id::text, wallet_id::text, amount::text, status, captured_amount::text, idempotency_key
      FROM holds WHERE wallet_id = ANY ($1::uuid[])`, [walletIds]);
  const held = await db.query<{ id: string; held: string; held_holds: string }>(`
    SELECT w.id::text, w.held::text, coalesce((SELECT sum(h.amount) FROM holds h WHERE h.wallet_id = w.id AND h.status = 'HELD'), 0)::text AS held_holds
      FROM wallets w WHERE w.id = ANY ($1::uuid[])`, [walletIds]);
  const totals = await db.query<Record<'balances' | 'credits' | 'debits' | 'out' | 'in', string>>(`
    SELECT (SELECT coalesce(sum(balance), 0) FROM wallets WHERE id = ANY ($1::uuid[]))::text AS balances,
           coalesce(sum(amount) FILTER (WHERE operation_type IN ('DEPOSIT', 'REVERSAL_IN')), 0)::text AS credits,
           coalesce(sum(amount) FILTER (WHERE operation_type IN ('WITHDRAW', 'CAPTURE', 'REVERSAL_OUT')), 0)::text AS debits,
           coalesce(sum(amount) FILTER (WHERE operation_type = 'TRANSFER_OUT'), 0)::text AS out,
           coalesce(sum(amount) FILTER (WHERE operation_type = 'TRANSFER_IN'), 0)::text AS in
      FROM operations WHERE wallet_id = ANY ($1::uuid[]) AND status = 'SUCCESS'`, [walletIds]);
  return { legs: legs.rows, holds: holds.rows, held: held.rows, totals: totals.rows[0]! };
}

function checkTransfer(t: TransferRequest, outs: LegRow[], insById: ReadonlyMap<string, LegRow>, figures: MoveFigures): string[] {
  const what = `transfer ${t.amount} ${short(t.fromWalletId)}→${short(t.toWalletId)}${t.key ? ' (keyed)' : ''}`;
  const v: string[] = [];
  const applied = outs.filter((r) => r.status === 'SUCCESS');
  if (applied.length > 1) v.push(`applied ${applied.length} times`);
  for (const out of outs) {
    if (out.status === 'REJECTED' && t.key === null) v.push(`stored a REJECTED leg ${out.id} without an Idempotency-Key`);
    if (out.status === 'SUCCESS' && t.key !== null && out.idempotency_key !== t.key) v.push(`stored with key ${String(out.idempotency_key)}`);
    if (out.status === 'SUCCESS' && out.counterparty_wallet_id !== t.toWalletId) v.push(`leg ${out.id} names ${String(out.counterparty_wallet_id)}`);
  }
  const ids = answeredIds(t.attempts);
  for (const a of t.attempts) {
    const out = outs.find((r) => r.id === a.operationId);
    if (a.kind === 'SUCCESS') {
      const inLeg = insById.get(a.operationId ?? '');
      if (out?.status !== 'SUCCESS' || !inLeg) v.push(`answered SUCCESS (${a.operationId}) without both legs stored`);
      else if (a.body?.from_balance !== out.balance_after || a.body?.to_balance !== inLeg.balance_after) {
        v.push(`answered balances ${String(a.body?.from_balance)} / ${String(a.body?.to_balance)}, stored ${out.balance_after} / ${inLeg.balance_after}`);
      }
    } else if (a.kind === 'FAILED' && out) {
      v.push(`answered FAILED but ${out.id} is stored`);
    } else if (a.kind === 'PENDING') {
      if (a.resolved === 'UNRESOLVED' || a.resolved === undefined) v.push(`PENDING ${a.operationId} never resolved`);
      else if (a.resolved === 'ABSENT' ? out !== undefined : out?.status !== a.resolved) {
        v.push(`PENDING resolved as ${a.resolved} but stored ${out?.status ?? 'nothing'}`);
      }
    } else if (a.kind === 'UNEXPECTED') {
      v.push(`unexpected answer ${a.status} ${a.detail ?? ''}`.trim());
    }
  }
  if (applied.length > 0 && surelyAbsent(t.attempts)) v.push(`every answer said not applied, but ${applied[0]!.id} is stored`);
  if (applied.length > 0) figures.transfersApplied++;
  if (!t.attempts.some((a) => a.kind === 'SUCCESS' || (a.kind === 'PENDING' && a.resolved !== 'UNRESOLVED')) && !surelyAbsent(t.attempts)) {
    if (applied.length > 0) figures.unknownApplied++;
    else figures.unknownAbsent++;
  }
  for (const out of applied) if (!ids.has(out.id) && t.attempts.every((a) => a.kind !== 'NO_RESPONSE' && a.kind !== 'PENDING' && a.kind !== 'UNEXPECTED')) {
    v.push(`applied as ${out.id}, which no answer named`);
  }
  for (const a of t.attempts) {
    const k = a.kind === 'SUCCESS' || a.kind === 'REJECTED_400' || a.kind === 'FAILED' || a.kind === 'PENDING' || a.kind === 'NO_RESPONSE' ? a.kind : 'other';
    figures.transferAnswers[k]++;
  }
  return v.map((x) => `${what}: ${x}`);
}

function checkHold(flow: HoldFlow, stored: HoldRow[], captureById: ReadonlyMap<string, LegRow>, figures: MoveFigures): string[] {
  const what = `hold ${flow.amount} on ${short(flow.walletId)}${flow.key ? ' (keyed)' : ''}`;
  const v: string[] = [];
  const live = stored.filter((h) => h.status !== 'REJECTED');
  if (live.length > 1) v.push(`placed ${live.length} times`);
  for (const h of stored) {
    if (h.status === 'REJECTED' && flow.key === null) v.push(`stored a REJECTED hold ${h.id} without an Idempotency-Key`);
    if (h.status !== 'REJECTED' && flow.key !== null && h.idempotency_key !== flow.key) v.push(`stored with key ${String(h.idempotency_key)}`);
  }
  for (const a of flow.place) {
    const h = stored.find((x) => x.id === a.operationId);
    if (a.kind === 'SUCCESS' && (!h || h.status === 'REJECTED')) v.push(`answered HELD (${a.operationId}) but no such hold is stored`);
    if (a.kind === 'FAILED' && h) v.push(`answered FAILED but hold ${h.id} is stored`);
    if (a.kind === 'PENDING') {
      if (a.resolved === 'UNRESOLVED' || a.resolved === undefined) v.push(`PENDING ${a.operationId} never resolved`);
      else if (a.resolved === 'ABSENT' ? h !== undefined : h === undefined) v.push(`PENDING resolved as ${a.resolved} but stored ${h?.status ?? 'nothing'}`);
    }
    if (a.kind === 'UNEXPECTED') v.push(`unexpected answer ${a.status} ${a.detail ?? ''}`.trim());
  }
  if (live.length > 0 && surelyAbsent(flow.place)) v.push(`every answer said not placed, but hold ${live[0]!.id} is stored`);
  if (flow.place.some((a) => a.kind === 'SUCCESS')) figures.heldAnswers++;
  if (flow.close) v.push(...checkClose(flow.close, live[0], captureById, figures));
  return v.map((x) => `${what}: ${x}`);
}

function checkClose(close: NonNullable<HoldFlow['close']>, hold: HoldRow | undefined, captureById: ReadonlyMap<string, LegRow>,
  figures: MoveFigures): string[] {
  const v: string[] = [];
  const done = close.kind === 'capture' ? 'CAPTURED' : 'VOIDED';
  const closed = hold?.status === done;
  const capture = hold ? captureById.get(hold.id) : undefined;
  const success = close.attempts.some((a) => a.kind === 'SUCCESS');
  if (success && !closed) v.push(`${close.kind} answered ${done} but the hold is ${hold?.status ?? 'missing'}`);
  if (closed && close.kind === 'capture') {
    const expected = close.amount ?? hold.amount;
    if (hold.captured_amount !== expected) v.push(`captured ${String(hold.captured_amount)}, asked ${expected}`);
    if (capture?.status !== 'SUCCESS' || capture.amount !== expected) v.push(`capture of ${expected} has CAPTURE row ${capture ? `${capture.amount} ${capture.status}` : 'none'}`);
  }
  if (close.kind === 'void' && capture) v.push(`voided hold has a CAPTURE row ${capture.id}`);
  if (hold && hold.status !== 'HELD' && !closed) v.push(`${close.kind} left the hold ${hold.status}`);
  if (closed && surelyAbsent(close.attempts)) v.push(`every ${close.kind} answer said not applied, but the hold is ${done}`);
  for (const a of close.attempts) {
    if (a.kind === 'PENDING') {
      if (a.resolved === 'UNRESOLVED' || a.resolved === undefined) v.push(`${close.kind} PENDING never resolved`);
      else if ((a.resolved === done) !== closed) v.push(`${close.kind} PENDING resolved as ${a.resolved} but the hold is ${hold?.status ?? 'missing'}`);
    }
    if (a.kind === 'UNEXPECTED') v.push(`${close.kind}: unexpected answer ${a.status} ${a.detail ?? ''}`.trim());
  }
  if (success && close.kind === 'capture') figures.captures.answered++;
  if (success && close.kind === 'void') figures.voids++;
  return v;
}

/** Each request's stored rows, by its (wallet, amount): amounts never repeat within a wallet's load. */
function byWalletAmount<R extends { wallet_id: string; amount: string }>(rows: R[]): Map<string, R[]> {
  const map = new Map<string, R[]>();
  for (const row of rows) {
    const k = `${row.wallet_id}|${row.amount}`;
    map.set(k, [...(map.get(k) ?? []), row]);
  }
  return map;
}

export async function checkTransfersAndHolds(db: pg.Pool, moves: Pick<MoveLoad, 'transfers' | 'holds'>, walletIds: readonly string[]): Promise<MoveVerdict> {
  const books = await readBooks(db, walletIds);
  const figures: MoveFigures = {
    transfers: moves.transfers.length,
    transferAnswers: { SUCCESS: 0, REJECTED_400: 0, FAILED: 0, PENDING: 0, NO_RESPONSE: 0, other: 0 },
    transfersApplied: 0, oneLegOnly: 0, unknownApplied: 0, unknownAbsent: 0,
    holds: moves.holds.length, heldAnswers: 0, captures: { answered: 0, rows: 0 }, voids: 0,
    heldMatches: { ok: 0, wallets: books.held.length }, conserved: true,
  };
  const violations: string[] = [];
  const outs = books.legs.filter((r) => r.operation_type === 'TRANSFER_OUT');
  const ins = books.legs.filter((r) => r.operation_type === 'TRANSFER_IN');
  const captures = books.legs.filter((r) => r.operation_type === 'CAPTURE');
  const insById = new Map(ins.map((r) => [r.id, r]));
  figures.captures.rows = captures.length;

  const pairing = checkLegPairs(books.legs);
  figures.oneLegOnly = pairing.oneLegOnly;
  violations.push(...pairing.problems);

  const outsByRequest = byWalletAmount(outs);
  const claimedOuts = new Set<string>();
  for (const t of moves.transfers) {
    const mine = outsByRequest.get(`${t.fromWalletId}|${t.amount}`) ?? [];
    mine.forEach((r) => claimedOuts.add(r.id));
    violations.push(...checkTransfer(t, mine, insById, figures));
  }
  for (const out of outs.filter((r) => !claimedOuts.has(r.id))) {
    violations.push(`TRANSFER_OUT ${out.id} on ${short(out.wallet_id)} (${out.amount} ${out.status}) matches no request`);
  }

  const holdsByRequest = byWalletAmount(books.holds);
  const claimedHolds = new Set<string>();
  const captureById = new Map(captures.map((r) => [r.id, r]));
  for (const flow of moves.holds) {
    const mine = holdsByRequest.get(`${flow.walletId}|${flow.amount}`) ?? [];
    mine.forEach((h) => claimedHolds.add(h.id));
    violations.push(...checkHold(flow, mine, captureById, figures));
  }
  for (const h of books.holds.filter((x) => !claimedHolds.has(x.id))) {
    violations.push(`hold ${h.id} on ${short(h.wallet_id)} (${h.amount} ${h.status}) matches no request`);
  }
  const holdsById = new Map(books.holds.map((h) => [h.id, h]));
  for (const c of captures) {
    const h = holdsById.get(c.id);
    if (h?.status !== 'CAPTURED' || h.captured_amount !== c.amount) violations.push(`CAPTURE ${c.id} (${c.amount}) has hold ${h ? `${h.status} ${String(h.captured_amount)}` : 'none'}`);
  }

  for (const w of books.held) {
    if (parseCents(w.held) === parseCents(w.held_holds)) figures.heldMatches.ok++;
    else violations.push(`wallet ${short(w.id)}: held ${w.held}, its HELD holds sum to ${w.held_holds}`);
  }
  const t = books.totals;
  const expected = parseCents(t.credits) - parseCents(t.debits) + parseCents(t.in) - parseCents(t.out);
  if (parseCents(t.out) !== parseCents(t.in)) {
    figures.conserved = false;
    violations.push(`transfers not netting to zero over the run's wallets: out ${t.out}, in ${t.in}`);
  }
  if (parseCents(t.balances) !== expected) {
    figures.conserved = false;
    violations.push(`balances sum to ${t.balances}, the ledger to ${formatCents(expected)} (credits ${t.credits}, debits ${t.debits})`);
  }
  return { figures, violations };
}

/** The per-fault transfer and hold figures (Markdown), under the operations' table. */
export function formatMoveTable(results: Array<{ fault: { name: string }; moves: MoveFigures }>): string[] {
  const lines = [
    '| fault | transfers | SUCCESS | 400 | FAILED | PENDING | no answer | applied (both legs) | unknown (applied / absent) | one leg only | holds | HELD | captured (CAPTURE rows) | voided | held = Σ HELD holds | conserved |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const { fault, moves: m } of results) {
    const a = m.transferAnswers;
    lines.push(`| ${fault.name} | ${m.transfers} | ${a.SUCCESS} | ${a.REJECTED_400} | ${a.FAILED} | ${a.PENDING} | ${a.NO_RESPONSE} | ` +
      `${m.transfersApplied} | ${m.unknownApplied} / ${m.unknownAbsent} | ${m.oneLegOnly} | ${m.holds} | ${m.heldAnswers} | ` +
      `${m.captures.answered} (${m.captures.rows}) | ${m.voids} | ${m.heldMatches.ok}/${m.heldMatches.wallets} | ${m.conserved ? 'yes' : 'NO'} |`);
  }
  return lines;
}
