/**
 * The verdict of one fault run: the fault suite's client record, handed to the ledger check that
 * the benchmark uses too (bench/check/ledger-check.ts: every answer the ledger contradicts, every
 * row no request explains, and the reconciliation, are violations).
 */
import type pg from 'pg';
import { checkLedger, type Answer, type ClientRequest } from '../bench/check/ledger-check.js';
import { parseCents } from '../src/lib/cents.js';
import { checkEvents } from './events-check.js';
import type { Attempt, AttemptKind } from './attempt.js';
import type { LogicalRequest } from './load.js';

export interface Verdict {
  requests: number;
  attempts: number;
  outcomes: Record<AttemptKind, number>;
  pendingApplied: number;
  pendingAbsent: number;
  /** Requests whose answer never arrived (app killed, timeout): allowed either way, counted here. */
  unknownApplied: number;
  unknownAbsent: number;
  /** Requests with an Idempotency-Key that needed more than one attempt (each must be applied at most once). */
  keyedRetried: number;
  ledgerRows: number;
  /** Ledger rows of every type and events of the run's wallets (faults/events-check.ts: one event per row). */
  eventLedgerRows: number;
  events: number;
  violations: string[];
}

function answerOf(a: Attempt): Answer {
  switch (a.kind) {
    case 'SUCCESS':
      return { kind: 'SUCCESS', operationId: a.operationId ?? '', balanceCents: a.balance ? parseCents(a.balance) : undefined };
    case 'PENDING':
      // The suite looks every PENDING up (suite.ts resolvePending): one never looked up counts as unresolved.
      return { kind: 'PENDING', operationId: a.operationId ?? '', resolved: a.resolved ?? 'UNRESOLVED' };
    case 'FAILED':
      return { kind: 'FAILED', operationId: a.operationId };
    case 'REJECTED_400':
      return { kind: 'REFUSED', status: a.status };
    case 'OVERLOADED_503':
      return { kind: 'OVERLOADED' };
    case 'NO_RESPONSE':
      return { kind: 'NO_ANSWER' };
    case 'UNEXPECTED':
      return { kind: 'UNEXPECTED', detail: `${a.status} ${a.detail ?? ''}`.trim() };
  }
}

export async function checkAgainstLedger(admin: pg.Pool, requests: LogicalRequest[], walletIds: string[]): Promise<Verdict> {
  const outcomes: Record<AttemptKind, number> = { SUCCESS: 0, FAILED: 0, PENDING: 0, REJECTED_400: 0, OVERLOADED_503: 0, NO_RESPONSE: 0, UNEXPECTED: 0 };
  const record: ClientRequest[] = requests.map((r) => {
    for (const a of r.attempts) outcomes[a.kind]++;
    return { walletId: r.walletId, type: r.type, cents: parseCents(r.amount), key: r.key, answers: r.attempts.map(answerOf) };
  });
  const ledger = await checkLedger(admin, record, walletIds);
  const events = await checkEvents(admin, walletIds);
  return {
    requests: requests.length,
    attempts: requests.reduce((n, r) => n + r.attempts.length, 0),
    outcomes,
    pendingApplied: ledger.pendingApplied,
    pendingAbsent: ledger.pendingAbsent,
    unknownApplied: ledger.unknownApplied,
    unknownAbsent: ledger.unknownAbsent,
    keyedRetried: ledger.keyedRetried,
    ledgerRows: ledger.ledgerRows,
    eventLedgerRows: events.ledgerRows,
    events: events.events,
    violations: [...ledger.violations, ...events.violations.map((v) => `events: ${v}`)],
  };
}
