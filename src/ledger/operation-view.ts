/** The API's view of a ledger row, and the refusal a refused row stands for: one rendering for every feature. */
import { type DomainError, refusalFor } from './errors.js';
import type { Operation as OperationView } from './ledger-schemas.js';
import { MONEY_MAX, formatMoney } from './money.js';
import type { OperationRow } from './tables.js';

/** The API's view of a ledger row (GET /wallets/{w}/operations/{id}); the event feed builds its payloads with it too. */
export function operationView(row: OperationRow): OperationView {
  const view: OperationView = {
    id: row.id,
    wallet_id: row.wallet_id,
    operation_type: row.operation_type,
    amount: formatMoney(row.amount),
    status: row.status,
    balance: formatMoney(row.balance_after),
    created_at: row.created_at.toISOString(),
  };
  // Assigned, not spread from temporary objects: this runs for every answered operation.
  if (row.counterparty_wallet_id) view.counterparty_wallet_id = row.counterparty_wallet_id;
  if (row.reverses_id) view.reverses_id = row.reverses_id;
  if (row.reversed_by) view.reversed_by = row.reversed_by;
  if (row.operation_type === 'CAPTURE') view.hold_id = row.id;
  return view;
}

/**
 * The refusal a stored or fresh rejection stands for; its balance is the one it was judged on.
 * `judged`: a fresh judgement's outcome and the bound that refused (apply_operations_v5's o_limit:
 * a max_balance, or a min_balance named in the text); a stored row is told with the default bounds.
 */
export function refusal(row: OperationRow, judged?: { outcome: string; limit?: string | null }): DomainError {
  const limit = judged?.limit ?? null;
  return refusalFor(row.operation_type, formatMoney(row.balance_after), formatMoney(row.amount),
    judged?.outcome === 'REJECTED_LIMIT' && limit !== null ? limit : MONEY_MAX,
    row.counterparty_wallet_id !== null, row.held ? formatMoney(row.held) : null,
    judged?.outcome === 'REJECTED_FUNDS' ? limit : null);
}

