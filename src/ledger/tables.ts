/**
 * The ledger's tables as Kysely sees them, and the rows the features read, derived from them once.
 * Money columns are NUMERIC and arrive from pg as strings, never numbers.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';
import { createDatabase, type DatabaseOptions, type Db } from '../db/database.js';
import type { HoldStatus, LedgerType, StoredStatus, WalletStatus } from './names.js';

export interface WalletTable {
  id: string;
  tenant: string;
  balance: ColumnType<string, string | undefined, string>;
  /** Sum of the wallet's HELD holds (changeset 014); written only by apply_operations_v4. */
  held: ColumnType<string, never, never>;
  last_seq: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<Date, string | undefined, never>;
  updated_at: ColumnType<Date, string | undefined, string>;
  /** Changeset 030: fixed at creation (the engine copies nothing: it reads scale and currency under the row lock). */
  currency: ColumnType<string, string | undefined, never>;
  scale: ColumnType<number, number | undefined, never>;
  min_balance: ColumnType<string, string | undefined, string>;
  max_balance: ColumnType<string, string | undefined, string>;
  status: ColumnType<WalletStatus, WalletStatus | undefined, WalletStatus>;
  metadata: ColumnType<Record<string, string>, string | undefined, string>;
  external_id: ColumnType<string | null, string | null | undefined, never>;
}

/** A tenant's own assets (changeset 030): a code and its scale, never changed. */
export interface AssetTable {
  tenant: string;
  code: string;
  scale: number;
  created_at: ColumnType<Date, string | undefined, never>;
  actor: string | null;
}

export interface OperationTable {
  wallet_id: string;
  id: string;
  seq: string;
  operation_type: LedgerType;
  amount: string;
  balance_after: string;
  status: StoredStatus;
  idempotency_key: string | null;
  request_hash: string | null;
  /** The key id that wrote the row (NULL before access control and under AUTH_REQUIRED=false). */
  actor: string | null;
  /** The other wallet of a transfer leg (TRANSFER_OUT / TRANSFER_IN); NULL for deposits and withdrawals. */
  counterparty_wallet_id: string | null;
  /** For a reversal: the id of the row it reverses, on the same wallet. */
  reverses_id: string | null;
  /** For a refusal for funds: what the wallet had on hold then (changeset 014); NULL otherwise. */
  held: string | null;
  created_at: Generated<Date>;
}

/** Holds (changeset 014): written only by apply_operations_v4, under the wallet's row lock. */
export interface HoldTable {
  id: string;
  wallet_id: string;
  amount: string;
  status: HoldStatus;
  captured_amount: string | null;
  expires_at: Date;
  created_at: Date;
  closed_at: Date | null;
  available_after: string;
  closed_available_after: string | null;
  actor: string | null;
  closed_actor: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  close_id: string | null;
  close_key: string | null;
  close_hash: string | null;
}

export interface Database {
  wallets: WalletTable;
  operations: OperationTable;
  holds: HoldTable;
  assets: AssetTable;
}

type Picked<Table, Column extends keyof Selectable<Table>> = Pick<Selectable<Table>, Column>;

/** A wallet for its answer; `available` is balance minus the HELD holds not yet past their expiry. */
export type WalletRow = Picked<WalletTable, 'id' | 'tenant' | 'balance' | 'created_at' | 'updated_at' | 'currency' | 'scale' |
  'min_balance' | 'max_balance' | 'status' | 'metadata' | 'external_id'> & { available: string };

/**
 * A hold as stored (a HELD hold past expires_at reads as EXPIRED through holdView). available_after:
 * the wallet's available balance right after the hold was judged; closed_available_after: the same
 * after capture or void.
 */
export type HoldRow = Picked<HoldTable, 'id' | 'wallet_id' | 'amount' | 'status' | 'captured_amount' | 'expires_at' |
  'created_at' | 'closed_at' | 'available_after' | 'closed_available_after'>;

/** A hold's state as the engine reports it. */
export type HoldState = Omit<HoldRow, 'available_after' | 'closed_available_after'>;

/**
 * A ledger row as the features read it. reverses_id and held are read where they matter;
 * reversed_by (the applied reversal of this row) only by findOperation.
 */
export type OperationRow = Picked<OperationTable, 'id' | 'wallet_id' | 'operation_type' | 'amount' | 'balance_after' | 'status' |
  'counterparty_wallet_id' | 'created_at'> & Partial<Picked<OperationTable, 'reverses_id' | 'held'>> & { reversed_by?: string | null };

/** The pool and Kysely the ledger runs on. */
export type LedgerDb = Db<Database>;

export function createLedgerDatabase(options: DatabaseOptions): LedgerDb {
  return createDatabase<Database>(options);
}
