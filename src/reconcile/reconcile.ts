/**
 * Proves the books balance, in three set-based passes that run side by side on three connections:
 * 1. per wallet: balance = sum(SUCCESS deposits and incoming transfers) - sum(SUCCESS withdrawals
 *    and outgoing transfers), last_seq = max(seq) (one hash aggregate over operations joined to
 *    wallets), plus the totals: over the whole database, money is conserved (sum of balances =
 *    deposits - withdrawals, transfers net zero);
 * 2. per operation, in seq order within its wallet: seq follows the previous seq by one, and
 *    balance_after = previous balance_after (0 before the first) + the operation's effect, where a
 *    REJECTED row has no effect and must have been a justified refusal (one window pass);
 * 3. per transfer leg: an applied TRANSFER_OUT has exactly its TRANSFER_IN (same id, on the
 *    counterparty, naming the source, same amount) and vice versa; a refused one has none. The
 *    two legs of a reversed transfer (REVERSAL_OUT / REVERSAL_IN with a counterparty) likewise.
 *    Reversals: balances = deposits - withdrawals - captures - reversals out + reversals in over the
 *    whole database; at most one reversal per original is enforced by a unique index;
 * 4. holds: each wallet's held = the sum of its HELD holds and held <= balance (available >= 0);
 *    a CAPTURED hold has exactly its CAPTURE ledger row (same id, same wallet, amount = captured
 *    amount <= the hold's amount) and every CAPTURE row its CAPTURED hold; no HELD hold is past its
 *    expiry on a wallet written after that expiry (the batch that wrote it had to release it first).
 * Each pass runs in one REPEATABLE READ READ ONLY transaction, so it sees one consistent snapshot
 * even while the service keeps writing. Nothing here writes.
 */
import type pg from 'pg';
import { MONEY_MAX, SCALE_MAX, scaleOf, toUnits } from '../ledger/money.js';
import type { LedgerType } from '../ledger/names.js';
import { type HoldMismatchRow, holdsSql } from './hold-checks.js';

export type MismatchKind = 'balance' | 'last_seq' | 'seq_gap' | 'chain' | 'rejection' | 'transfer_leg' | 'conservation' | 'held' | 'hold';

export interface Mismatch {
  kind: MismatchKind;
  walletId: string;
  /** The operation's seq, for per-operation mismatches. */
  seq?: string;
  message: string;
}

/** Sums over the checked wallets (exact decimal text). Over a closed set of wallets, balances = deposits - withdrawals. */
export interface ReconcileTotals {
  balances: string;
  deposits: string;
  withdrawals: string;
  transfersOut: string;
  transfersIn: string;
  /** Reversal rows: of deposits (out), of withdrawals (in) and both legs of reversed transfers. */
  reversalsOut: string;
  reversalsIn: string;
  /** CAPTURE rows: captured holds, money out like withdrawals. */
  captures: string;
  /** Sum of the wallets' held amounts (reserved by active holds, still part of the balances). */
  held: string;
}

export interface ReconcileReport {
  wallets: number;
  operations: number;
  totals: ReconcileTotals;
  mismatches: Mismatch[];
  durationMs: number;
}

export interface ReconcileOptions {
  /** Only these wallets (tests share one database); all wallets when absent. */
  walletIds?: readonly string[];
  /** work_mem for the two passes (SET LOCAL), e.g. '128MB'. */
  workMem?: string;
}

interface BalanceRow {
  wallet_id: string;
  balance: string;
  ledger_balance: string;
  last_seq: string;
  max_seq: string;
}

interface ChainRow {
  wallet_id: string;
  seq: string;
  prev_seq: string;
  operation_type: LedgerType;
  amount: string;
  status: string;
  balance_after: string;
  prev_after: string;
  expected_after: string;
  held: string | null;
}

/** The effect of a ledger row on its wallet's balance, in SQL (REJECTED rows have none). */
const effectSql = `CASE WHEN status <> 'SUCCESS' THEN 0
                        WHEN operation_type IN ('DEPOSIT', 'TRANSFER_IN', 'REVERSAL_IN') THEN amount ELSE -amount END`;

const sumOf = (type: string) => `sum(amount) FILTER (WHERE status = 'SUCCESS' AND operation_type = '${type}')`;

const balanceSql = (filtered: boolean) => `
  WITH ledger AS (
    SELECT wallet_id,
           sum(${effectSql}) AS ledger_balance,
           count(*) AS operations,
           max(seq) AS max_seq,
           ${sumOf('DEPOSIT')} AS deposits, ${sumOf('WITHDRAW')} AS withdrawals,
           ${sumOf('TRANSFER_OUT')} AS transfers_out, ${sumOf('TRANSFER_IN')} AS transfers_in,
           ${sumOf('REVERSAL_OUT')} AS reversals_out, ${sumOf('REVERSAL_IN')} AS reversals_in,
           ${sumOf('CAPTURE')} AS captures
      FROM operations
     ${filtered ? 'WHERE wallet_id = ANY ($1::uuid[])' : ''}
     GROUP BY wallet_id
  ), joined AS (
    SELECT w.id AS wallet_id, w.balance, w.held, w.last_seq,
           coalesce(l.ledger_balance, 0) AS ledger_balance,
           coalesce(l.operations, 0) AS operations,
           coalesce(l.max_seq, 0) AS max_seq,
           coalesce(l.deposits, 0) AS deposits, coalesce(l.withdrawals, 0) AS withdrawals,
           coalesce(l.transfers_out, 0) AS transfers_out, coalesce(l.transfers_in, 0) AS transfers_in,
           coalesce(l.reversals_out, 0) AS reversals_out, coalesce(l.reversals_in, 0) AS reversals_in,
           coalesce(l.captures, 0) AS captures
      FROM wallets w LEFT JOIN ledger l ON l.wallet_id = w.id
     ${filtered ? 'WHERE w.id = ANY ($1::uuid[])' : ''}
  )
  SELECT wallet_id::text, balance::text, ledger_balance::text, last_seq::text, max_seq::text,
         NULL::text AS wallets, NULL::text AS operations, NULL::text AS balances, NULL::text AS deposits,
         NULL::text AS withdrawals, NULL::text AS transfers_out, NULL::text AS transfers_in,
         NULL::text AS reversals_out, NULL::text AS reversals_in, NULL::text AS captures, NULL::text AS held
    FROM joined
   WHERE balance <> ledger_balance OR last_seq <> max_seq
  UNION ALL
  -- one summary row, also when nothing mismatches
  SELECT NULL, NULL, NULL, NULL, NULL, count(*)::text, coalesce(sum(operations), 0)::text,
         coalesce(sum(balance), 0)::text, coalesce(sum(deposits), 0)::text, coalesce(sum(withdrawals), 0)::text,
         coalesce(sum(transfers_out), 0)::text, coalesce(sum(transfers_in), 0)::text,
         coalesce(sum(reversals_out), 0)::text, coalesce(sum(reversals_in), 0)::text,
         coalesce(sum(captures), 0)::text, coalesce(sum(held), 0)::text
    FROM joined`;

// The window runs along the (wallet_id, seq) order; expected_after is computed in NUMERIC, exactly.
const chainSql = (filtered: boolean) => `
  SELECT wallet_id::text, seq::text, prev_seq::text, operation_type, amount::text, status,
         balance_after::text, prev_after::text, expected_after::text, held::text
    FROM (
      SELECT wallet_id, seq, operation_type, amount, status, balance_after, held,
             lag(seq, 1, 0::bigint) OVER w AS prev_seq,
             lag(balance_after, 1, 0::numeric) OVER w AS prev_after,
             lag(balance_after, 1, 0::numeric) OVER w + ${effectSql} AS expected_after
        FROM operations
       ${filtered ? 'WHERE wallet_id = ANY ($1::uuid[])' : ''}
      WINDOW w AS (PARTITION BY wallet_id ORDER BY seq)
    ) c
   WHERE seq <> prev_seq + 1
      OR balance_after <> expected_after
      OR (status = 'REJECTED' AND operation_type = 'WITHDRAW' AND amount <= prev_after - coalesce(held, 0))
      OR (status = 'REJECTED' AND operation_type = 'DEPOSIT' AND prev_after + amount <= ${MONEY_MAX})
      OR (status = 'REJECTED' AND operation_type = 'TRANSFER_IN')
   ORDER BY wallet_id, seq`;

// Applied legs in scope without their partner, looked up by the primary key (counterparty, id). A
// refused TRANSFER_OUT has no partner by design; a stray TRANSFER_IN shows as a leg without one.
// An anti-join on the key, not a join against a CTE of the scope: with statistics taken before a
// load (a bench run's 275,000 legs estimated as a handful) the planner nested a materialised scope
// inside the loop, quadratic, and the check ran for minutes; here the worst plan is one index probe
// per leg.
const legsSql = (filtered: boolean) => `
  SELECT s.wallet_id::text, s.seq::text, s.id::text, s.operation_type, s.amount::text,
         s.counterparty_wallet_id::text AS counterparty
    FROM operations s
   WHERE s.counterparty_wallet_id IS NOT NULL AND s.status = 'SUCCESS'
     ${filtered ? 'AND s.wallet_id = ANY ($1::uuid[])' : ''}
     AND NOT EXISTS (SELECT 1 FROM operations p
                      WHERE p.wallet_id = s.counterparty_wallet_id AND p.id = s.id AND p.status = 'SUCCESS'
                        AND p.counterparty_wallet_id = s.wallet_id AND p.amount = s.amount
                        AND p.operation_type <> s.operation_type)
   ORDER BY s.wallet_id, s.seq`;

interface LegRow {
  wallet_id: string;
  seq: string;
  id: string;
  operation_type: string;
  amount: string;
  counterparty: string;
}

interface SummaryRow {
  wallets: string;
  operations: string;
  balances: string;
  deposits: string;
  withdrawals: string;
  transfers_out: string;
  transfers_in: string;
  reversals_out: string;
  reversals_in: string;
  captures: string;
  held: string;
}

/**
 * Exact comparisons of NUMERIC text as BigInt units of the smallest scale (10^-18): every wallet's
 * values fit, whatever its currency's scale, and a JS number never holds money.
 */
const units = (text: string) => toUnits(text, SCALE_MAX);
/** A total as the report prints it: at least two decimals (a sum of 2-decimal values, or "0" when there are none, prints as before). */
const money = (text: string) => {
  const decimals = scaleOf(text);
  return decimals >= 2 ? text : `${text}${decimals === 0 ? '.' : ''}${'0'.repeat(2 - decimals)}`;
};

async function inSnapshot<T extends pg.QueryResultRow>(
  pool: pg.Pool, text: string, values: unknown[], workMem: string,
): Promise<T[]> {
  if (!/^\d+(kB|MB|GB)$/.test(workMem)) throw new Error(`invalid work_mem ${workMem}`);
  const client = await pool.connect();
  try {
    // A full scan: the app role's default statement_timeout (changeset 019) is for its own reads.
    await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL work_mem = '${workMem}'; SET LOCAL statement_timeout = 0`);
    const result = await client.query<T>(text, values);
    await client.query('COMMIT');
    return result.rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function chainMismatches(row: ChainRow): Mismatch[] {
  const found: Mismatch[] = [];
  const at = { walletId: row.wallet_id, seq: row.seq };
  if (row.seq !== String(BigInt(row.prev_seq) + 1n)) {
    found.push({ kind: 'seq_gap', ...at,
      message: `seq ${row.seq} follows seq ${row.prev_seq} (expected ${BigInt(row.prev_seq) + 1n})` });
  }
  if (row.balance_after !== row.expected_after) {
    const effect = row.status === 'SUCCESS' ? `${row.operation_type} ${row.amount}` : `${row.status} (no effect)`;
    found.push({ kind: 'chain', ...at,
      message: `seq ${row.seq}: balance_after ${row.balance_after}, expected ${row.expected_after} ` +
        `(previous ${row.prev_after} + ${effect})` });
  }
  if (row.status === 'REJECTED' && found.every((m) => m.kind !== 'chain')) {
    // Exact comparisons of the NUMERIC text as BigInt units, never a JS number.
    // A refused TRANSFER_OUT the source could pay was refused for its target's balance limit,
    // which this wallet's chain cannot show: only a refused deposit or withdrawal is judged here.
    // A refusal for funds stores what was on hold then: available was prev_after - held.
    const refused = row.operation_type === 'WITHDRAW'
      ? units(row.amount) <= units(row.prev_after) - units(row.held ?? '0')
      : row.operation_type === 'DEPOSIT'
        ? units(row.prev_after) + units(row.amount) <= units(MONEY_MAX)
        : row.operation_type === 'TRANSFER_IN'; // never refused; a refused reversal is not judged here
    if (refused) {
      found.push({ kind: 'rejection', ...at,
        message: `seq ${row.seq}: ${row.operation_type} ${row.amount} was REJECTED although the balance was ${row.prev_after}` });
    }
  }
  return found;
}

export async function reconcile(pool: pg.Pool, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const startedAt = performance.now();
  const filtered = options.walletIds !== undefined;
  const values = filtered ? [options.walletIds] : [];
  const workMem = options.workMem ?? '128MB';
  const [balanceRows, chainRows, legRows, holdRows] = await Promise.all([
    inSnapshot<BalanceRow & SummaryRow>(pool, balanceSql(filtered), values, workMem),
    inSnapshot<ChainRow>(pool, chainSql(filtered), values, workMem),
    inSnapshot<LegRow>(pool, legsSql(filtered), values, workMem),
    inSnapshot<HoldMismatchRow>(pool, holdsSql(filtered), values, workMem),
  ]);
  const mismatches: Mismatch[] = [];
  let wallets = 0;
  let operations = 0;
  let totals: ReconcileTotals = { balances: '0.00', deposits: '0.00', withdrawals: '0.00', transfersOut: '0.00', transfersIn: '0.00',
    reversalsOut: '0.00', reversalsIn: '0.00', captures: '0.00', held: '0.00' };
  for (const row of balanceRows) {
    if (row.wallet_id === null) {
      wallets = Number(row.wallets);
      operations = Number(row.operations);
      totals = { balances: money(row.balances), deposits: money(row.deposits), withdrawals: money(row.withdrawals),
        transfersOut: money(row.transfers_out), transfersIn: money(row.transfers_in),
        reversalsOut: money(row.reversals_out), reversalsIn: money(row.reversals_in),
        captures: money(row.captures), held: money(row.held) };
      continue;
    }
    if (row.balance !== row.ledger_balance) {
      mismatches.push({ kind: 'balance', walletId: row.wallet_id,
        message: `balance ${row.balance}, ledger says ${row.ledger_balance} (SUCCESS deposits - withdrawals)` });
    }
    if (row.last_seq !== row.max_seq) {
      mismatches.push({ kind: 'last_seq', walletId: row.wallet_id,
        message: `last_seq ${row.last_seq}, highest operation seq ${row.max_seq}` });
    }
  }
  for (const row of chainRows) mismatches.push(...chainMismatches(row));
  for (const row of legRows) {
    mismatches.push({ kind: 'transfer_leg', walletId: row.wallet_id, seq: row.seq,
      message: `seq ${row.seq}: ${row.operation_type} ${row.amount} of transfer ${row.id} has no matching ` +
        `${row.operation_type === 'TRANSFER_OUT' ? 'TRANSFER_IN' : 'TRANSFER_OUT'} on wallet ${row.counterparty}` });
  }
  for (const row of holdRows) mismatches.push({ kind: row.kind, walletId: row.wallet_id, message: row.message });
  // Over the whole database every transfer's legs are both counted, so they cancel out exactly
  // (so do a reversed transfer's two reversal legs); reversals of deposits and withdrawals count,
  // and captures leave like withdrawals (a hold alone moves nothing: it stays in the balance).
  const conserved = units(totals.balances) === units(totals.deposits) - units(totals.withdrawals) -
    units(totals.captures) - units(totals.reversalsOut) + units(totals.reversalsIn);
  if (!filtered && (!conserved || totals.transfersIn !== totals.transfersOut)) {
    mismatches.push({ kind: 'conservation', walletId: '',
      message: `sum of balances ${totals.balances}, deposits ${totals.deposits} - withdrawals ${totals.withdrawals} ` +
        `- captures ${totals.captures} - reversals out ${totals.reversalsOut} + reversals in ${totals.reversalsIn}; ` +
        `transfers out ${totals.transfersOut}, in ${totals.transfersIn}` });
  }
  mismatches.sort((a, b) => (a.walletId < b.walletId ? -1 : a.walletId > b.walletId ? 1 : 0));
  return { wallets, operations, totals, mismatches, durationMs: performance.now() - startedAt };
}

/** The text `npm run reconcile` prints: a summary line, then every mismatch. */
export function formatReport(report: ReconcileReport): string {
  const lines = [
    `reconcile: ${report.wallets} wallets, ${report.operations} operations checked in ${Math.round(report.durationMs)} ms`,
    report.mismatches.length === 0 ? 'OK: every balance equals its ledger, every balance_after chain is consistent, every transfer has ' +
      'both legs and every wallet\'s held amount matches its holds' : `MISMATCHES: ${report.mismatches.length}`,
    `totals: balances ${report.totals.balances}, deposits ${report.totals.deposits}, withdrawals ${report.totals.withdrawals}, ` +
      `transfers out ${report.totals.transfersOut}, in ${report.totals.transfersIn}, ` +
      `reversals out ${report.totals.reversalsOut}, in ${report.totals.reversalsIn}, captures ${report.totals.captures}, ` +
      `held ${report.totals.held}`,
  ];
  for (const m of report.mismatches) {
    lines.push(m.walletId ? `  ${m.kind.padEnd(9)} wallet ${m.walletId}: ${m.message}` : `  ${m.kind}: ${m.message}`);
  }
  return lines.join('\n');
}
