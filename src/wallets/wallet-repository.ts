/** SQL only. Each function takes the executor (Kysely or a transaction's client) it runs on. */
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../db/schema.js';
import { assert } from '../lib/assert.js';
import type { ApplyOutcome, EngineOperationType, LedgerType, StoredStatus } from './operation-names.js';

export interface WalletRow {
  id: string;
  tenant: string;
  balance: string;
  created_at: Date;
  updated_at: Date;
}

export interface OperationRow {
  id: string;
  wallet_id: string;
  operation_type: LedgerType;
  amount: string;
  balance_after: string;
  status: StoredStatus;
  /** The other wallet of a transfer leg; null for deposits and withdrawals. */
  counterparty_wallet_id: string | null;
  /** For a reversal: the id of the row it reverses (on the same wallet). */
  reverses_id?: string | null;
  /** The applied reversal of this row, if any (read by findOperation only). */
  reversed_by?: string | null;
  created_at: Date;
}

export interface OperationInput {
  id: string;
  walletId: string;
  /** The caller's tenant: a wallet of another tenant is NOT_FOUND (checked by apply_operations). */
  tenant: string;
  /** The caller's key id, stored as the row's actor (null under AUTH_REQUIRED=false). */
  actor: string | null;
  /** TRANSFER_OUT: a transfer from walletId to counterpartyWalletId (both legs are written). */
  type: EngineOperationType;
  /** The target of a transfer (or of the transfer a REVERSAL reverses); absent or null otherwise. */
  counterpartyWalletId?: string | null;
  /** REVERSAL only: the original's id on walletId (the transfer id for a transfer). */
  reversesId?: string | null;
  /** Normalised decimal text, e.g. "100.00". */
  amount: string;
  idempotencyKey: string | null;
  requestHash: string | null;
}

export interface AppliedOperation {
  outcome: ApplyOutcome;
  /** Absent for NOT_FOUND, ORIGINAL_NOT_FOUND and NOT_REVERSIBLE. For rejections balance_after is the unchanged balance. */
  row: OperationRow | undefined;
  /** The target's balance after an applied transfer (its TRANSFER_IN leg); null otherwise. */
  counterpartyBalanceAfter: string | null;
}

export async function insertWallet(db: Kysely<Database>, id: string, tenant: string): Promise<WalletRow | undefined> {
  return db.insertInto('wallets').values({ id, tenant }).onConflict((oc) => oc.column('id').doNothing())
    .returning(['id', 'tenant', 'balance', 'created_at', 'updated_at']).executeTakeFirst();
}

/** The wallet if it exists and belongs to `tenant`: another tenant's wallet is not found. */
export async function findWallet(db: Kysely<Database>, id: string, tenant: string): Promise<WalletRow | undefined> {
  return db.selectFrom('wallets').select(['id', 'tenant', 'balance', 'created_at', 'updated_at'])
    .where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst();
}

/** Many wallets in one query (coalesced balance reads, of any tenants: the caller checks each row's). */
export async function findWallets(db: Kysely<Database>, ids: readonly string[]): Promise<WalletRow[]> {
  const result = await sql<WalletRow>`SELECT id, tenant, balance, created_at, updated_at FROM wallets WHERE id = ANY (${ids}::uuid[])`.execute(db);
  return result.rows;
}

/** The operation if its wallet belongs to `tenant`. */
export async function findOperation(db: Kysely<Database>, walletId: string, id: string, tenant: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations as o').innerJoin('wallets as w', 'w.id', 'o.wallet_id')
    .select(['o.id', 'o.wallet_id', 'o.operation_type', 'o.amount', 'o.balance_after', 'o.status', 'o.counterparty_wallet_id',
      'o.reverses_id', 'o.created_at'])
    .select(sql<string | null>`(SELECT r.id FROM operations r WHERE r.wallet_id = o.wallet_id AND r.reverses_id = o.id
      AND r.status = 'SUCCESS')`.as('reversed_by'))
    .where('o.wallet_id', '=', walletId).where('o.id', '=', id).where('w.tenant', '=', tenant).executeTakeFirst();
}

/** A transfer's stored legs (TRANSFER_OUT first) if its source wallet belongs to `tenant`; [] when unknown. */
export async function findTransferLegs(db: Kysely<Database>, id: string, tenant: string): Promise<OperationRow[]> {
  const result = await sql<OperationRow>`
    SELECT o.id, o.wallet_id, o.operation_type, o.amount, o.balance_after, o.status, o.counterparty_wallet_id, o.created_at
      FROM operations o JOIN wallets w ON w.id = o.wallet_id
     WHERE o.id = ${id} AND o.counterparty_wallet_id IS NOT NULL AND o.operation_type IN ('TRANSFER_OUT', 'TRANSFER_IN')
       AND w.tenant = ${tenant}
     ORDER BY o.operation_type DESC`.execute(db);
  return result.rows;
}

export async function walletExists(db: Kysely<Database>, id: string, tenant: string): Promise<boolean> {
  const row = await sql<{ found: boolean }>`SELECT EXISTS (SELECT 1 FROM wallets WHERE id = ${id} AND tenant = ${tenant}) AS found`.execute(db);
  return row.rows[0]?.found === true;
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
  o_lock_wait_ms: number | null;
}

export interface BatchLimits {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

const literal = (value: string | null) => (value === null ? 'NULL' : pg.escapeLiteral(value));
const array = (values: (string | null)[], type: string) => `ARRAY[${values.map(literal).join(',')}]::${type}[]`;

/**
 * The whole transaction for one batch as a single script: BEGIN, per-transaction limits
 * (SET LOCAL, never session state: safe behind PgBouncer), the apply_operations_v3 call (see
 * db/changelog/changes/003, 010, 011 and 012: it refuses another tenant's wallet as NOT_FOUND, and
 * applies a transfer's two legs) and COMMIT. Sent in one round trip. Every value is escaped as a
 * literal; the inputs are already validated (uuids, decimal amounts, enum types, printable keys).
 * `checkExisting` makes a retry find what an earlier attempt with the same ids committed.
 * The COMMIT runs without statement_timeout: PostgreSQL applies the timeout to each statement of
 * the message, and one that fired during COMMIT's wait for a synchronous standby would leave a
 * commit that is durable here but not yet replicated (see ReplicationUnconfirmed). The client's
 * query timeout still bounds the wait.
 */
export function applyOperationsScript(ops: readonly OperationInput[], checkExisting: boolean, limits: BatchLimits): string {
  return `BEGIN; SET LOCAL lock_timeout = '${Math.trunc(limits.lockTimeoutMs)}ms'; ` +
    `SET LOCAL statement_timeout = '${Math.trunc(limits.statementTimeoutMs)}ms'; ` +
    'SELECT * FROM apply_operations_v3(' +
    `${array(ops.map((o) => o.walletId), 'uuid')}, ${array(ops.map((o) => o.counterpartyWalletId ?? null), 'uuid')}, ` +
    `${array(ops.map((o) => o.reversesId ?? null), 'uuid')}, ` +
    `${array(ops.map((o) => o.tenant), 'text')}, ` +
    `${array(ops.map((o) => o.actor), 'text')}, ${array(ops.map((o) => o.id), 'uuid')}, ` +
    `${array(ops.map((o) => o.type), 'text')}, ${array(ops.map((o) => o.amount), 'numeric')}, ` +
    `${array(ops.map((o) => o.idempotencyKey), 'text')}, ${array(ops.map((o) => o.requestHash), 'text')}, ` +
    `${checkExisting ? 'true' : 'false'}); SET LOCAL statement_timeout = 0; COMMIT`;
}

/** Outcomes that name no stored or new row (nothing was judged). */
const NO_ROW_OUTCOMES: ReadonlySet<ApplyOutcome> = new Set<ApplyOutcome>(['NOT_FOUND', 'ORIGINAL_NOT_FOUND', 'NOT_REVERSIBLE']);

export interface BatchRows {
  applied: AppliedOperation[];
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
  assert(rows.length === count, `apply_operations returned ${rows.length} rows for ${count} operations`);
  const applied: AppliedOperation[] = new Array(count);
  for (const r of rows) {
    assert(Number.isInteger(r.o_idx) && r.o_idx >= 1 && r.o_idx <= count && !applied[r.o_idx - 1], `bad o_idx ${r.o_idx}`);
    applied[r.o_idx - 1] = {
      outcome: r.o_outcome,
      row: NO_ROW_OUTCOMES.has(r.o_outcome) ? undefined : {
        id: r.o_id,
        wallet_id: r.o_wallet_id,
        operation_type: r.o_type,
        amount: r.o_amount,
        balance_after: r.o_balance_after ?? '0',
        status: r.o_status ?? 'REJECTED',
        counterparty_wallet_id: r.o_counterparty,
        reverses_id: r.o_reverses,
        created_at: r.o_created_at ?? new Date(),
      },
      counterpartyBalanceAfter: r.o_counterparty_balance_after,
    };
  }
  return { applied, lockWaitMs: rows[0]?.o_lock_wait_ms ?? 0 };
}
