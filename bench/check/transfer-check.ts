/**
 * The transfer scenarios' record and check. TransferTracker keeps what the harness was told about
 * each transfer; checkTransfers then holds the books of the scenario's wallets against it:
 * - the total of their balances is what it was before the load (transfers move money, never make it);
 * - every applied TRANSFER_OUT has its TRANSFER_IN (same id, amount, each naming the other wallet)
 *   and every TRANSFER_IN its TRANSFER_OUT (bench/check/transfer-legs.ts, shared with the fault suite);
 * - every SUCCESS answer has both legs under its id, with the balances answered; no FAILED answer's
 *   id is stored; applied transfers that no answer named are at most the requests left unanswered;
 * - the project's reconciliation of those wallets is clean.
 */
import type pg from 'pg';
import { formatCents, parseCents } from '../../src/lib/cents.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { waitForQuiet } from './database-check.js';
import { checkLegPairs, type TransferLeg } from './transfer-legs.js';

export interface SentTransfer {
  fromWalletId: string;
  toWalletId: string;
  cents: bigint;
}

interface Answered { id: string; fromBalance?: string; toBalance?: string }

const oddAnswersMax = 20;

export class TransferTracker {
  private nextKey = 1;
  private readonly open = new Map<number, SentTransfer>();
  readonly succeeded: Answered[] = [];
  readonly failed: string[] = [];
  readonly pending: string[] = [];
  /** Answered 4xx (insufficient funds): not applied. */
  refused = 0;
  readonly oddAnswers: string[] = [];

  sent(transfer: SentTransfer): number {
    const key = this.nextKey++;
    this.open.set(key, transfer);
    return key;
  }

  /** Records an answer; a 5xx leaves the request open (its outcome is unknown to a client). */
  answered(key: number, httpStatus: number, body: string): void {
    const sent = this.open.get(key);
    if (!sent || httpStatus >= 500) return;
    this.open.delete(key);
    if (httpStatus !== 200) {
      this.refused++;
      return;
    }
    let parsed: { id?: unknown; status?: unknown; amount?: unknown; from_balance?: unknown; to_balance?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      this.note(`unparseable 200 body: ${body.slice(0, 120)}`);
      return;
    }
    const id = typeof parsed.id === 'string' ? parsed.id : '';
    if (parsed.status === 'SUCCESS') {
      if (typeof parsed.amount !== 'string' || parseCents(parsed.amount) !== sent.cents) this.note(`transfer ${id} answered amount ${String(parsed.amount)}`);
      this.succeeded.push({ id, fromBalance: parsed.from_balance as string | undefined, toBalance: parsed.to_balance as string | undefined });
    } else if (parsed.status === 'FAILED') {
      this.failed.push(id);
    } else if (parsed.status === 'PENDING') {
      this.pending.push(id);
    } else {
      this.note(`unexpected transfer status ${String(parsed.status)}: ${body.slice(0, 120)}`);
    }
  }

  /** Requests sent and never answered (cut by the time limit, a timeout or a 5xx): applied or not. */
  get unanswered(): number {
    return this.open.size;
  }

  private note(message: string): void {
    if (this.oddAnswers.length < oddAnswersMax) this.oddAnswers.push(message);
  }
}

interface Leg extends TransferLeg { balance_after: string }

/** The total balance of these wallets, as cents (read before the load and after it). */
export async function totalBalance(db: pg.Pool, walletIds: readonly string[]): Promise<bigint> {
  const r = await db.query<{ total: string }>('SELECT coalesce(sum(balance), 0)::text AS total FROM wallets WHERE id = ANY ($1::uuid[])', [walletIds]);
  return parseCents(r.rows[0]!.total);
}

export async function checkTransfers(
  db: pg.Pool, tracker: TransferTracker, walletIds: readonly string[], openingTotalCents: bigint, quietBoundMs: number,
): Promise<{ problems: string[]; summary: string }> {
  const problems: string[] = [];
  const quiet = await waitForQuiet(db, 'SELECT coalesce(sum(last_seq), 0) FROM wallets WHERE id = ANY($1::uuid[])', [walletIds], quietBoundMs);
  if (!quiet) problems.push(`the service was still writing ${quietBoundMs} ms after the load stopped`);
  const legs = (await db.query<Leg>(`
    SELECT id::text, wallet_id::text, operation_type, amount::text, status, balance_after::text, counterparty_wallet_id::text
      FROM operations WHERE wallet_id = ANY ($1::uuid[]) AND operation_type IN ('TRANSFER_OUT', 'TRANSFER_IN') AND status = 'SUCCESS'`,
  [walletIds])).rows;
  const outs = new Map(legs.filter((l) => l.operation_type === 'TRANSFER_OUT').map((l) => [l.id, l]));
  const ins = new Map(legs.filter((l) => l.operation_type === 'TRANSFER_IN').map((l) => [l.id, l]));
  const outCents = [...outs.values()].reduce((sum, out) => sum + parseCents(out.amount), 0n);
  problems.push(...checkLegPairs(legs).problems);

  const named = new Set<string>();
  for (const answer of tracker.succeeded) {
    named.add(answer.id);
    const out = outs.get(answer.id);
    const inLeg = ins.get(answer.id);
    if (!out || !inLeg) problems.push(`transfer ${answer.id} answered SUCCESS without both legs stored`);
    else if (answer.fromBalance !== out.balance_after || answer.toBalance !== inLeg.balance_after) {
      problems.push(`transfer ${answer.id} answered balances ${String(answer.fromBalance)} / ${String(answer.toBalance)}, stored ${out.balance_after} / ${inLeg.balance_after}`);
    }
  }
  for (const id of tracker.failed) if (outs.has(id) || ins.has(id)) problems.push(`transfer ${id} answered FAILED but is stored`);
  for (const id of tracker.pending) named.add(id);
  const unnamed = [...outs.keys()].filter((id) => !named.has(id)).length;
  if (unnamed > tracker.unanswered) problems.push(`${unnamed} applied transfers no answer named, but only ${tracker.unanswered} requests were left unanswered`);

  const closingTotal = await totalBalance(db, walletIds);
  if (closingTotal !== openingTotalCents) problems.push(`total balance ${formatCents(closingTotal)}, ${formatCents(openingTotalCents)} before the load`);
  const books = await reconcile(db, { walletIds });
  problems.push(...books.mismatches.map((m) => `reconcile: ${m.kind} on ${m.walletId}: ${m.message}`), ...tracker.oddAnswers);
  const total = closingTotal === openingTotalCents ? `${formatCents(closingTotal)} unchanged` : `${formatCents(closingTotal)} (was ${formatCents(openingTotalCents)})`;
  const summary = `${walletIds.length} wallets, total ${total}: ${outs.size} transfers applied with both legs ` +
    `(${formatCents(outCents)} moved; ${tracker.succeeded.length} answered SUCCESS, ${unnamed} in flight at stop); ${tracker.refused} refused, ` +
    `${tracker.failed.length} FAILED, ${tracker.pending.length} PENDING; ledger reconciled (${books.operations} rows)`;
  return { problems, summary };
}
