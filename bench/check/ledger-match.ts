/**
 * Compares the ledger with what the harness saw. Pure: the caller reads the rows.
 *
 * - Every operation answered SUCCESS must be in the ledger, as SUCCESS, with the same wallet,
 *   type and amount: a missing one is a lost update.
 * - Every other ledger row must be explained: an operation answered PENDING (by id), or one left
 *   unanswered when the run stopped (matched by wallet, type and amount, each used once).
 *   An unexplained row is an operation applied twice or out of nowhere.
 * - The harness never sends an Idempotency-Key, so no REJECTED rows may appear.
 */
import { formatCents } from '../lib-cents.js';
import type { AcknowledgedOperation, OperationType, SentOperation } from './operation-tracker.js';

export interface LedgerRow {
  walletId: string;
  id: string;
  type: OperationType;
  cents: bigint;
  status: string;
}

export interface LedgerMatchInput {
  rows: LedgerRow[];
  succeeded: ReadonlyMap<string, AcknowledgedOperation>;
  pending: ReadonlyMap<string, AcknowledgedOperation>;
  unanswered: SentOperation[];
}

export interface LedgerMatch {
  problems: string[];
  /** Ledger rows that were answered SUCCESS. */
  acknowledged: number;
  /** Ledger rows explained by a PENDING answer or an unanswered request. */
  inFlightApplied: number;
  /** Per wallet: the signed sum of acknowledged operations and of applied in-flight ones. */
  deltaCentsByWallet: Map<string, { acknowledged: bigint; inFlight: bigint }>;
}

const problemsShownMax = 10;

function signed(type: OperationType, cents: bigint): bigint {
  return type === 'DEPOSIT' ? cents : -cents;
}

function matchKey(walletId: string, type: OperationType, cents: bigint): string {
  return `${walletId}|${type}|${cents}`;
}

export function matchLedger(input: LedgerMatchInput): LedgerMatch {
  const problems: string[] = [];
  const problem = (message: string) => {
    if (problems.length < problemsShownMax) problems.push(message);
    else if (problems.length === problemsShownMax) problems.push('(more problems not shown)');
  };
  const deltas = new Map<string, { acknowledged: bigint; inFlight: bigint }>();
  const delta = (walletId: string) => {
    let entry = deltas.get(walletId);
    if (!entry) deltas.set(walletId, (entry = { acknowledged: 0n, inFlight: 0n }));
    return entry;
  };

  const unanswered = new Map<string, number>();
  for (const op of input.unanswered) {
    const key = matchKey(op.walletId, op.type, op.cents);
    unanswered.set(key, (unanswered.get(key) ?? 0) + 1);
  }

  const inLedger = new Set<string>();
  let acknowledged = 0;
  let inFlightApplied = 0;
  for (const row of input.rows) {
    inLedger.add(row.id);
    if (row.status !== 'SUCCESS') {
      problem(`ledger row ${row.id} has status ${row.status}; the harness sends no Idempotency-Key`);
      continue;
    }
    const seen = input.succeeded.get(row.id) ?? input.pending.get(row.id);
    if (seen) {
      if (seen.walletId !== row.walletId || seen.type !== row.type || seen.cents !== row.cents) {
        problem(`operation ${row.id}: ledger has ${row.type} ${formatCents(row.cents)} on ${row.walletId}, ` +
          `answer said ${seen.type} ${formatCents(seen.cents)} on ${seen.walletId}`);
      }
      if (input.succeeded.has(row.id)) {
        acknowledged++;
        delta(row.walletId).acknowledged += signed(row.type, row.cents);
      } else {
        inFlightApplied++;
        delta(row.walletId).inFlight += signed(row.type, row.cents);
      }
      continue;
    }
    const key = matchKey(row.walletId, row.type, row.cents);
    const left = unanswered.get(key) ?? 0;
    if (left > 0) {
      unanswered.set(key, left - 1);
      inFlightApplied++;
      delta(row.walletId).inFlight += signed(row.type, row.cents);
    } else {
      problem(`ledger row ${row.id} (${row.type} ${formatCents(row.cents)} on ${row.walletId}) matches no request the harness sent`);
    }
  }
  for (const op of input.succeeded.values()) {
    if (!inLedger.has(op.id)) {
      problem(`LOST UPDATE: operation ${op.id} (${op.type} ${formatCents(op.cents)} on ${op.walletId}) was answered SUCCESS but is not in the ledger`);
    }
  }
  return { problems, acknowledged, inFlightApplied, deltaCentsByWallet: deltas };
}
