/**
 * The verdict: the client-side record against what PostgreSQL holds. A violation is any answer
 * the ledger contradicts: a SUCCESS not stored exactly once with the reported id and balance, a
 * FAILED / 4xx / 503 whose operation is stored, a PENDING that did not resolve, a key applied
 * twice, a ledger row no request explains, books that do not reconcile, a 5xx.
 */
import type pg from 'pg';
import { reconcile } from '../src/reconcile/reconcile.js';
import type { Attempt, AttemptKind, LogicalRequest } from './load.js';

interface LedgerRow {
  wallet_id: string;
  id: string;
  operation_type: string;
  amount: string;
  status: 'SUCCESS' | 'REJECTED';
  balance_after: string;
  idempotency_key: string | null;
}

export interface Verdict {
  requests: number;
  attempts: number;
  outcomes: Record<AttemptKind, number>;
  pendingApplied: number;
  pendingAbsent: number;
  /** Requests without a key whose answer never arrived (app killed, timeout): allowed either way, counted here. */
  unknownApplied: number;
  unknownAbsent: number;
  /** Requests with an Idempotency-Key that needed more than one attempt (each must be applied at most once). */
  keyedRetried: number;
  ledgerRows: number;
  violations: string[];
}

const money = (s: string) => {
  const [i = '0', f = ''] = s.split('.');
  return `${BigInt(i)}.${f.padEnd(2, '0').slice(0, 2)}`;
};

export async function checkAgainstLedger(admin: pg.Pool, requests: LogicalRequest[], walletIds: string[]): Promise<Verdict> {
  const rows = (await admin.query<LedgerRow>(
    `SELECT wallet_id::text, id::text, operation_type, amount::text, status, balance_after::text, idempotency_key
       FROM operations WHERE wallet_id = ANY ($1::uuid[])`, [walletIds])).rows;
  const byAmount = new Map<string, LedgerRow[]>();
  const byId = new Map<string, LedgerRow>();
  for (const row of rows) {
    const k = `${row.wallet_id}/${money(row.amount)}`;
    byAmount.set(k, [...(byAmount.get(k) ?? []), row]);
    byId.set(row.id, row);
  }
  const violations: string[] = [];
  const outcomes = { SUCCESS: 0, FAILED: 0, PENDING: 0, REJECTED_400: 0, OVERLOADED_503: 0, NO_RESPONSE: 0, UNEXPECTED: 0 };
  const verdict = { pendingApplied: 0, pendingAbsent: 0, unknownApplied: 0, unknownAbsent: 0 };
  const explained = new Set<string>();
  let attempts = 0;
  let keyedRetried = 0;

  for (const r of requests) {
    const k = `${r.walletId}/${money(r.amount)}`;
    const stored = byAmount.get(k) ?? [];
    stored.forEach((row) => explained.add(row.id));
    const what = `${r.type} ${r.amount} on ${r.walletId.slice(0, 8)}${r.key ? ' (keyed)' : ''}`;
    if (stored.length > 1) violations.push(`${what}: stored ${stored.length} times`);
    const success = stored.find((row) => row.status === 'SUCCESS');
    for (const a of r.attempts) {
      attempts++;
      outcomes[a.kind]++;
      violations.push(...attemptViolations(a, r, what, success, stored, byId));
      if (a.kind === 'PENDING') {
        if (a.resolved === 'SUCCESS' || a.resolved === 'REJECTED') verdict.pendingApplied++;
        else if (a.resolved === 'ABSENT') verdict.pendingAbsent++;
      }
    }
    if (stored.length > 0 && r.type !== stored[0]!.operation_type) violations.push(`${what}: stored as ${stored[0]!.operation_type}`);
    if (stored.length > 0 && r.key !== stored[0]!.idempotency_key && stored[0]!.status === 'SUCCESS' && r.key !== null) {
      violations.push(`${what}: stored with key ${String(stored[0]!.idempotency_key)}`);
    }
    if (r.key !== null && r.attempts.length > 1) keyedRetried++;
    const definite = r.attempts.some((a) => a.kind !== 'NO_RESPONSE');
    if (!definite) {
      if (success) verdict.unknownApplied++;
      else verdict.unknownAbsent++;
    }
  }
  for (const row of rows) {
    if (!explained.has(row.id)) violations.push(`ledger row ${row.id} (${row.operation_type} ${row.amount}) matches no request`);
  }
  const books = await reconcile(admin, { walletIds });
  for (const m of books.mismatches) violations.push(`reconcile: ${m.kind} on ${m.walletId}: ${m.message}`);
  return { requests: requests.length, attempts, outcomes, ...verdict, keyedRetried, ledgerRows: rows.length, violations };
}

function attemptViolations(a: Attempt, r: LogicalRequest, what: string, success: LedgerRow | undefined,
  stored: LedgerRow[], byId: Map<string, LedgerRow>): string[] {
  const out: string[] = [];
  switch (a.kind) {
    case 'SUCCESS':
      if (!success) out.push(`${what}: answered SUCCESS (${a.operationId}) but not stored`);
      else if (success.id !== a.operationId) out.push(`${what}: answered SUCCESS as ${a.operationId}, stored as ${success.id}`);
      else if (money(success.balance_after) !== a.balance) {
        out.push(`${what}: answered balance ${String(a.balance)}, stored balance_after ${success.balance_after}`);
      }
      break;
    case 'FAILED':
      if (a.operationId && byId.has(a.operationId)) out.push(`${what}: answered FAILED but ${a.operationId} is stored`);
      if (r.key === null && stored.length > 0) out.push(`${what}: answered FAILED but applied`);
      break;
    case 'REJECTED_400':
      if (success) out.push(`${what}: answered 400 but stored as SUCCESS ${success.id}`);
      break;
    case 'OVERLOADED_503':
      if (r.key === null && stored.length > 0) out.push(`${what}: answered 503 but applied`);
      break;
    case 'PENDING': {
      const row = a.operationId ? byId.get(a.operationId) : undefined;
      if (a.resolved === undefined || a.resolved === 'UNRESOLVED') out.push(`${what}: PENDING ${a.operationId} never resolved`);
      else if (a.resolved === 'ABSENT' && row) out.push(`${what}: PENDING resolved as absent but ${a.operationId} is stored`);
      else if ((a.resolved === 'SUCCESS' || a.resolved === 'REJECTED') && row?.status !== a.resolved) {
        out.push(`${what}: PENDING resolved as ${a.resolved} but stored ${row?.status ?? 'nothing'}`);
      }
      break;
    }
    case 'UNEXPECTED':
      out.push(`${what}: unexpected answer ${a.status} ${a.detail ?? ''}`);
      break;
    case 'NO_RESPONSE':
      break;
  }
  return out;
}
