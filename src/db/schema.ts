/** Table types for Kysely. Money columns are NUMERIC and arrive from pg as strings, never numbers. */
import type { ColumnType, Generated } from 'kysely';
import type { LedgerType, StoredStatus } from '../wallets/operation-names.js';

export interface WalletTable {
  id: string;
  tenant: string;
  balance: ColumnType<string, string | undefined, string>;
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
  created_at: Generated<Date>;
}

export interface Database {
  wallets: WalletTable;
  operations: OperationTable;
}
