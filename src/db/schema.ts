/** Table types for Kysely. Money columns are NUMERIC and arrive from pg as strings, never numbers. */
import type { ColumnType, Generated } from 'kysely';
import type { HoldStatus, LedgerType, StoredStatus } from '../wallets/operation-names.js';

export interface WalletTable {
  id: string;
  tenant: string;
  balance: ColumnType<string, string | undefined, string>;
  /** Sum of the wallet's HELD holds (changeset 014); written only by apply_operations_v4. */
  held: ColumnType<string, never, never>;
  last_seq: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<Date, string | undefined, never>;
  updated_at: ColumnType<Date, string | undefined, string>;
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
}
