/** SQL only. Each function takes the executor (Kysely or a transaction's client) it runs on. */
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from '../db/schema.js';

export type OperationType = 'DEPOSIT' | 'WITHDRAW';

export interface WalletRow {
  id: string;
  balance: string;
  created_at: Date;
  updated_at: Date;
}

export interface OperationRow {
  id: string;
  wallet_id: string;
  operation_type: OperationType;
  amount: string;
  balance_after: string;
  status: 'SUCCESS' | 'REJECTED';
  created_at: Date;
}

export interface OperationInput {
  id: string;
  walletId: string;
  type: OperationType;
  /** Normalised decimal text, e.g. "100.00". */
  amount: string;
  idempotencyKey: string | null;
  requestHash: string | null;
}

export type ApplyOutcome =
  | 'APPLIED' | 'REJECTED_FUNDS' | 'REJECTED_LIMIT' | 'EXISTING' | 'REPLAY' | 'KEY_CONFLICT' | 'NOT_FOUND';

export interface AppliedOperation {
  outcome: ApplyOutcome;
  /** Absent for NOT_FOUND. For rejections balance_after is the unchanged balance. */
  row: OperationRow | undefined;
}

export async function insertWallet(db: Kysely<Database>, id: string): Promise<WalletRow | undefined> {
  return db.insertInto('wallets').values({ id }).onConflict((oc) => oc.column('id').doNothing())
    .returning(['id', 'balance', 'created_at', 'updated_at']).executeTakeFirst();
}

export async function findWallet(db: Kysely<Database>, id: string): Promise<WalletRow | undefined> {
  return db.selectFrom('wallets').select(['id', 'balance', 'created_at', 'updated_at'])
    .where('id', '=', id).executeTakeFirst();
}

export async function findOperation(db: Kysely<Database>, walletId: string, id: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations')
    .select(['id', 'wallet_id', 'operation_type', 'amount', 'balance_after', 'status', 'created_at'])
    .where('wallet_id', '=', walletId).where('id', '=', id).executeTakeFirst();
}

export async function walletExists(db: Kysely<Database>, id: string): Promise<boolean> {
  const row = await sql<{ found: boolean }>`SELECT EXISTS (SELECT 1 FROM wallets WHERE id = ${id}) AS found`.execute(db);
  return row.rows[0]?.found === true;
}

interface ApplyResultRow {
  o_idx: number;
  o_outcome: ApplyOutcome;
  o_id: string;
  o_wallet_id: string;
  o_type: OperationType;
  o_amount: string;
  o_balance_after: string | null;
  o_status: 'SUCCESS' | 'REJECTED' | null;
  o_created_at: Date | null;
}

/**
 * Applies a batch in arrival order with one statement (see db/changelog/changes/003). Must run
 * inside a transaction: the wallet row locks are held until its COMMIT.
 * `checkExisting` makes a retry find what an earlier attempt with the same ids committed.
 */
export async function applyOperations(
  client: pg.PoolClient,
  ops: readonly OperationInput[],
  checkExisting: boolean,
): Promise<AppliedOperation[]> {
  const result = await client.query<ApplyResultRow>(
    'SELECT * FROM apply_operations($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::text[], $6::text[], $7)',
    [
      ops.map((o) => o.walletId), ops.map((o) => o.id), ops.map((o) => o.type), ops.map((o) => o.amount),
      ops.map((o) => o.idempotencyKey), ops.map((o) => o.requestHash), checkExisting,
    ],
  );
  const applied: AppliedOperation[] = new Array(ops.length);
  for (const r of result.rows) {
    applied[r.o_idx - 1] = {
      outcome: r.o_outcome,
      row: r.o_outcome === 'NOT_FOUND' ? undefined : {
        id: r.o_id,
        wallet_id: r.o_wallet_id,
        operation_type: r.o_type,
        amount: r.o_amount,
        balance_after: r.o_balance_after ?? '0',
        status: r.o_status ?? 'REJECTED',
        created_at: r.o_created_at ?? new Date(),
      },
    };
  }
  return applied;
}
