/**
 * The outbox half of the fault suite's verdict: the events of the run's wallets equal the ledger's
 * committed rows. Each ledger row has exactly one event (one outbox row names its seq; a stored event
 * of before changeset 017 has its operation id, amount, balance and status; the type the database
 * gives it is eventTypeOf's), and no outbox row names a seq the ledger does not hold. A fault that let a change commit without its event, or an event survive without its
 * change, shows here. Hold events (changeset 016) describe the holds table, not ledger rows: not
 * counted here (the fault load places no holds).
 */
import type pg from 'pg';
import { eventTypeOf } from '../src/ledger/event-names.js';
import type { LedgerType, StoredStatus } from '../src/ledger/names.js';

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
  // Both ways at once: ledger rows and the events the outbox holds for them, matched on (wallet, seq), a
  // FULL JOIN keeping orphans of either side. A range row (changeset 017) stands for every seq it names,
  // whether or not the ledger has that row; a stored ledger event (written before 017) for its one seq.
  const r = await db.query<Row>(`
    WITH o AS (SELECT wallet_id, seq, id, operation_type, status, amount::text AS amount, balance_after::text AS balance
                 FROM operations WHERE wallet_id = ANY ($1::uuid[])),
         e AS (SELECT e.wallet_id, s.seq, count(*) AS n, (array_agg(e.type))[1] AS type, (array_agg(e.payload))[1] AS payload
                 FROM events e CROSS JOIN LATERAL generate_series(e.wallet_seq, coalesce(e.seq_last, e.wallet_seq)) AS s(seq)
                WHERE e.wallet_id = ANY ($1::uuid[]) AND e.wallet_seq IS NOT NULL
                GROUP BY e.wallet_id, s.seq)
    SELECT coalesce(o.wallet_id, e.wallet_id) AS wallet_id, coalesce(o.seq, e.seq) AS seq,
           o.id AS op_id, o.operation_type AS op_type, o.status AS op_status, o.amount AS op_amount, o.balance AS op_balance,
           coalesce(e.n, 0) AS ev_count,
           CASE WHEN e.payload IS NULL THEN o.id ELSE (e.payload->>'id')::uuid END AS ev_operation_id,
           coalesce(e.type, ledger_event_type(o.operation_type, o.status)) AS ev_type,
           coalesce(e.payload->>'amount', o.amount) AS ev_amount, coalesce(e.payload->>'balance', o.balance) AS ev_balance,
           coalesce(e.payload->>'status', o.status) AS ev_status
      FROM o FULL JOIN e ON e.wallet_id = o.wallet_id AND e.seq = o.seq
     ORDER BY 1, 2`, [walletIds]);
  const violations: string[] = [];
  let events = 0;
  let ledgerRows = 0;
  for (const row of r.rows) {
    if (row.op_id !== null) ledgerRows++;
    const where = `${row.wallet_id.slice(0, 8)} seq ${row.seq}`;
    events += Number(row.ev_count);
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
