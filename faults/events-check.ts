/**
 * The outbox half of the fault suite's verdict: the events of the run's wallets equal the ledger's
 * committed rows. Each ledger row has exactly one event (same wallet, seq and operation id; the type
 * the trigger gives it; amount, balance and status as stored), and no event names a row the ledger
 * does not hold. A fault that let a change commit without its event, or an event survive without its
 * change, shows here. Hold events (changeset 016) describe the holds table, not ledger rows: not
 * counted here (the fault load places no holds).
 */
import type pg from 'pg';
import { eventTypeOf } from '../src/events/event-names.js';
import type { LedgerType, StoredStatus } from '../src/wallets/operation-names.js';

export interface EventsVerdict {
  /** Ledger rows of the run's wallets, every type (the operations check counts deposits and withdrawals only). */
  ledgerRows: number;
  events: number;
  violations: string[];
}

interface Row {
  wallet_id: string;
  seq: string;
  op_id: string | null;
  op_type: LedgerType | null;
  op_status: StoredStatus | null;
  op_amount: string | null;
  op_balance: string | null;
  ev_count: string;
  ev_operation_id: string | null;
  ev_type: string | null;
  ev_amount: string | null;
  ev_balance: string | null;
  ev_status: string | null;
}

export async function checkEvents(db: pg.Pool, walletIds: readonly string[]): Promise<EventsVerdict> {
  // Both ways at once: ledger rows and events matched on (wallet, seq), a FULL JOIN keeping orphans of either side.
  const r = await db.query<Row>(`
    WITH o AS (SELECT wallet_id, seq, id, operation_type, status, amount::text AS amount, balance_after::text AS balance
                 FROM operations WHERE wallet_id = ANY ($1::uuid[])),
         e AS (SELECT wallet_id, wallet_seq AS seq, count(*) OVER (PARTITION BY wallet_id, wallet_seq) AS n, operation_id, type,
                      payload->>'amount' AS amount, payload->>'balance' AS balance, payload->>'status' AS status
                 FROM events WHERE wallet_id = ANY ($1::uuid[]) AND type NOT LIKE 'hold.%')
    SELECT coalesce(o.wallet_id, e.wallet_id) AS wallet_id, coalesce(o.seq, e.seq) AS seq,
           o.id AS op_id, o.operation_type AS op_type, o.status AS op_status, o.amount AS op_amount, o.balance AS op_balance,
           coalesce(e.n, 0) AS ev_count, e.operation_id AS ev_operation_id, e.type AS ev_type, e.amount AS ev_amount,
           e.balance AS ev_balance, e.status AS ev_status
      FROM o FULL JOIN e ON e.wallet_id = o.wallet_id AND e.seq = o.seq
     ORDER BY 1, 2`, [walletIds]);
  const violations: string[] = [];
  let events = 0;
  let ledgerRows = 0;
  for (const row of r.rows) {
    if (row.op_id !== null) ledgerRows++;
    const where = `${row.wallet_id.slice(0, 8)} seq ${row.seq}`;
    if (row.ev_operation_id !== null || row.ev_type !== null) events++;
    if (row.op_id === null) {
      violations.push(`event ${row.ev_type} at ${where} has no ledger row (an event for a change that did not commit)`);
      continue;
    }
    if (Number(row.ev_count) === 0) {
      violations.push(`ledger row ${row.op_id} at ${where} (${row.op_type}) has no event`);
      continue;
    }
    if (Number(row.ev_count) > 1) violations.push(`ledger row ${row.op_id} at ${where} has ${row.ev_count} events`);
    const expected = eventTypeOf(row.op_type!, row.op_status!);
    if (row.ev_operation_id !== row.op_id || row.ev_type !== expected || row.ev_amount !== row.op_amount
      || row.ev_balance !== row.op_balance || row.ev_status !== row.op_status) {
      violations.push(`event at ${where} differs from its ledger row: ${row.ev_type} ${row.ev_status} ${row.ev_amount} → ` +
        `${row.ev_balance} (${row.ev_operation_id}) vs ${expected} ${row.op_status} ${row.op_amount} → ${row.op_balance} (${row.op_id})`);
    }
  }
  return { ledgerRows, events, violations };
}
