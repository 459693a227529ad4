/**
 * The engine's one statement per batch: the script that applies a batch (apply_operations_v4) and
 * the reading of its rows. SQL text only; the executor sends it.
 */
import pg from 'pg';
import { assert } from '../lib/assert.js';
import type { ApplyOutcome, CommandType, HoldStatus, LedgerType, StoredStatus } from './names.js';
import type { HoldState, OperationRow } from './tables.js';

/**
 * What a service asks the engine to judge and apply: one money movement (a deposit, withdrawal,
 * transfer, reversal, hold, capture or void). It writes zero, one or two operations (ledger rows).
 */
export interface Command {
  id: string;
  walletId: string;
  /** The caller's tenant: a wallet of another tenant is NOT_FOUND (checked by apply_operations). */
  tenant: string;
  /** The caller's key id, stored as the row's actor (null under AUTH_REQUIRED=false). */
  actor: string | null;
  /** TRANSFER_OUT: a transfer from walletId to counterpartyWalletId (both legs are written). */
  type: CommandType;
  /** The target of a transfer (or of the transfer a REVERSAL reverses); absent or null otherwise. */
  counterpartyWalletId?: string | null;
  /** REVERSAL only: the original's id on walletId (the transfer id for a transfer). */
  reversesId?: string | null;
  /** CAPTURE and VOID only: the hold (on walletId) they close; `id` is then the request's own id. */
  holdId?: string | null;
  /** HOLD only: seconds until the hold expires (`id` is the new hold's id). */
  holdSeconds?: number | null;
  /** Normalised decimal text, e.g. "100.00". */
  amount: string;
  idempotencyKey: string | null;
  requestHash: string | null;
}

/** What apply_operations_v4 did with one command, and the row or hold it found or wrote. */
export interface AppliedCommand {
  outcome: ApplyOutcome;
  /** Absent for NOT_FOUND, ORIGINAL_NOT_FOUND and NOT_REVERSIBLE. For rejections balance_after is the unchanged balance. */
  row: OperationRow | undefined;
  /** The target's balance after an applied transfer (its TRANSFER_IN leg); null otherwise. */
  counterpartyBalanceAfter: string | null;
  /** Hold requests (HOLD, CAPTURE, VOID) with a hold found or written: its state after the request. */
  hold?: HoldState;
  /** Hold requests: the wallet's available balance after the request (as stored on the hold; null for an expired one). */
  available?: string | null;
  /** The wallet's scale (its amounts' decimals); null when the wallet was not found. */
  scale?: number | null;
  /** A refusal for funds or for the limit: the bound that refused (min_balance or max_balance); null otherwise. */
  limit?: string | null;
}

interface ApplyResultRow {
  o_idx: number;
  o_outcome: ApplyOutcome;
  o_id: string;
  o_wallet_id: string;
  o_type: LedgerType;
  o_amount: string;
  o_balance_after: string | null;
  o_status: StoredStatus | null;
  o_created_at: Date | null;
  o_counterparty: string | null;
  o_counterparty_balance_after: string | null;
  o_reverses: string | null;
  o_held: string | null;
  o_available: string | null;
  o_hold_status: HoldStatus | null;
  o_hold_captured: string | null;
  o_hold_expires_at: Date | null;
  o_hold_closed_at: Date | null;
  o_lock_wait_ms: number | null;
  o_scale: number | null;
  o_limit: string | null;
}

export interface BatchLimits {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * Why the batch is SQL text with hand-quoted values, not bind parameters: the whole transaction
 * (BEGIN, SET LOCAL, the call, COMMIT) goes as one simple-protocol message, one round trip, and
 * that protocol has no parameters; it also saves about 2 µs per command over binding them (issue
 * 21). The quoting is pg.escapeLiteral's: a value with a quote or a backslash is
 * written E'...' with both doubled, which PostgreSQL reads the same whatever
 * standard_conforming_strings says; any other value (almost all: uuids, amounts, names) is just
 * put between quotes, skipping the scan. test/ledger/apply-script-quoting.test.ts sends every
 * hostile string it knows through this quoting to PostgreSQL and gets it back unchanged.
 */
const literal = (value: string | null | undefined) => (value === null || value === undefined ? 'NULL'
  : NEEDS_ESCAPE.test(value) ? pg.escapeLiteral(value) : `'${value}'`);
const NEEDS_ESCAPE = /['\\]/;
const int = (value: number | null | undefined) => (value === null || value === undefined ? 'NULL' : String(Math.trunc(value)));

/** apply_operations_v5's array arguments, in its order: each one's element type and how a command writes its element. */
const APPLY_ARGUMENTS: readonly { type: string; text: (o: Command) => string }[] = [
  { type: 'uuid', text: (o) => literal(o.walletId) },
  { type: 'uuid', text: (o) => literal(o.counterpartyWalletId) },
  { type: 'uuid', text: (o) => literal(o.reversesId) },
  { type: 'uuid', text: (o) => literal(o.holdId) },
  { type: 'int', text: (o) => int(o.holdSeconds) },
  { type: 'text', text: (o) => literal(o.tenant) },
  { type: 'text', text: (o) => literal(o.actor) },
  { type: 'uuid', text: (o) => literal(o.id) },
  { type: 'text', text: (o) => literal(o.type) },
  { type: 'numeric', text: (o) => literal(o.amount) },
  { type: 'text', text: (o) => literal(o.idempotencyKey) },
  { type: 'text', text: (o) => literal(o.requestHash) },
];

/**
 * The whole transaction for one batch as a single script: BEGIN, per-transaction limits
 * (SET LOCAL, never session state: safe behind PgBouncer), the apply_operations_v5 call (see
 * db/changelog/changes/003, 010, 011, 012 and functions/apply-operations-v4.sql, -v5.sql: it refuses another
 * tenant's wallet as NOT_FOUND, applies a transfer's two legs, holds, and judges each wallet's
 * scale, currency, limits and status) and COMMIT. Sent in one round trip; every value
 * goes through `literal` or `int` (above).
 * `checkExisting` makes a retry find what an earlier attempt with the same ids committed.
 * The COMMIT runs without statement_timeout: PostgreSQL applies the timeout to each statement of
 * the message, and one that fired during COMMIT's wait for a synchronous standby would leave a
 * commit that is durable here but not yet replicated (see ReplicationUnconfirmed). The client's
 * query timeout still bounds the wait.
 */
export function applyCommandsScript(commands: readonly Command[], checkExisting: boolean, limits: BatchLimits): string {
  // One pass over the batch, one list per argument of apply_operations_v4, in its order.
  const columns = APPLY_ARGUMENTS.map(() => new Array<string>(commands.length));
  for (let i = 0; i < commands.length; i++) {
    const o = commands[i]!;
    for (let c = 0; c < APPLY_ARGUMENTS.length; c++) columns[c]![i] = APPLY_ARGUMENTS[c]!.text(o);
  }
  const args = columns.map((values, c) => `ARRAY[${values.join(',')}]::${APPLY_ARGUMENTS[c]!.type}[]`).join(', ');
  return `BEGIN; SET LOCAL lock_timeout = '${Math.trunc(limits.lockTimeoutMs)}ms'; ` +
    `SET LOCAL statement_timeout = '${Math.trunc(limits.statementTimeoutMs)}ms'; ` +
    `SELECT * FROM apply_operations_v5(${args}, ${checkExisting ? 'true' : 'false'}); SET LOCAL statement_timeout = 0; COMMIT`;
}

/** Outcomes that name no stored or new row (nothing was judged). */
const NO_ROW_OUTCOMES: ReadonlySet<ApplyOutcome> = new Set<ApplyOutcome>(['NOT_FOUND', 'ORIGINAL_NOT_FOUND', 'NOT_REVERSIBLE',
  'HOLD_NOT_FOUND', 'AMOUNT_SCALE', 'CURRENCY_MISMATCH', 'WALLET_FROZEN', 'WALLET_CLOSED']);

export interface BatchRows {
  applied: AppliedCommand[];
  lockWaitMs: number;
}

/**
 * Reads apply_operations' rows back into input order. Called after the script resolved, that is
 * after COMMIT: a mismatch here is a bug, never a reason to think the batch was not applied.
 * The result is found by its columns, not by its position in the script.
 */
export function readAppliedRows(results: readonly pg.QueryResult[], count: number): BatchRows {
  const result = results.find((r) => r.fields?.some((f) => f.name === 'o_idx'));
  assert(result, 'the script returned no apply_operations result');
  const rows = result.rows as ApplyResultRow[];
  assert(rows.length === count, `apply_operations returned ${rows.length} rows for ${count} commands`);
  const applied: AppliedCommand[] = new Array(count);
  for (const r of rows) {
    assert(Number.isInteger(r.o_idx) && r.o_idx >= 1 && r.o_idx <= count && !applied[r.o_idx - 1], `bad o_idx ${r.o_idx}`);
    const hold = r.o_hold_status === null || NO_ROW_OUTCOMES.has(r.o_outcome) ? undefined : {
      id: r.o_id, wallet_id: r.o_wallet_id, amount: r.o_amount, status: r.o_hold_status, captured_amount: r.o_hold_captured,
      expires_at: r.o_hold_expires_at!, created_at: r.o_created_at!, closed_at: r.o_hold_closed_at,
    };
    if (hold) assert(hold.expires_at && hold.created_at, `hold ${r.o_id} without its times`);
    applied[r.o_idx - 1] = {
      outcome: r.o_outcome,
      ...(hold ? { hold, available: r.o_available } : {}),
      row: NO_ROW_OUTCOMES.has(r.o_outcome) || hold ? undefined : {
        id: r.o_id,
        wallet_id: r.o_wallet_id,
        operation_type: r.o_type,
        amount: r.o_amount,
        balance_after: r.o_balance_after ?? '0',
        status: r.o_status ?? 'REJECTED',
        counterparty_wallet_id: r.o_counterparty,
        reverses_id: r.o_reverses,
        held: r.o_held,
        created_at: r.o_created_at ?? new Date(),
      },
      counterpartyBalanceAfter: r.o_counterparty_balance_after,
      scale: r.o_scale,
      limit: r.o_limit,
    };
  }
  return { applied, lockWaitMs: rows[0]?.o_lock_wait_ms ?? 0 };
}
