/**
 * The one ledger check of the benchmark and the fault suite: what clients were told, against what
 * PostgreSQL holds. matchLedger is pure; checkLedger reads the ledger, matches it and reconciles.
 *
 * Each ledger row is traced to one request: first by the operation id an answer named, then (for
 * rows no answer named) by wallet, type and amount, preferring a request whose answer never
 * arrived (it may have been applied), each such request taking one row. What is left is a
 * violation, as is any answer the ledger contradicts:
 * - SUCCESS: stored exactly once, as SUCCESS, with the answered id (and balance, when known).
 * - FAILED: the operation named is not stored; without an Idempotency-Key nothing is.
 * - a 4xx refusal: not stored as SUCCESS; a 503 (refused before any work): without a key, nothing stored.
 * - PENDING: once resolved through the API, the ledger agrees; still unresolved is a violation.
 *   A PENDING never looked up (the benchmark's) may be applied or not.
 * - no answer (cut by the time limit, timeout, app killed): may be applied or not.
 * - a REJECTED row belongs to a request with a key (refusals without one are not stored).
 */
import type pg from 'pg';
import { formatCents, parseCents } from '../../src/lib/cents.js';
import { reconcile } from '../../src/reconcile/reconcile.js';

export type OperationType = 'DEPOSIT' | 'WITHDRAW';
export type PendingResolution = 'SUCCESS' | 'REJECTED' | 'ABSENT' | 'UNRESOLVED';

export type Answer =
  | { kind: 'SUCCESS'; operationId: string; balanceCents?: bigint }
  | { kind: 'PENDING'; operationId: string; resolved?: PendingResolution }
  | { kind: 'FAILED'; operationId?: string }
  /** A definite refusal (4xx other than 503, e.g. 400 insufficient funds). */
  | { kind: 'REFUSED'; status: number }
  /** 503: refused before any work; a request with a key may be retried. */
  | { kind: 'OVERLOADED' }
  | { kind: 'NO_ANSWER' }
  | { kind: 'UNEXPECTED'; detail: string };

/** One intent of a client (wallet, type, amount, optional key) and every answer it got. */
export interface ClientRequest {
  walletId: string;
  type: OperationType;
  cents: bigint;
  key: string | null;
  answers: Answer[];
}

export interface LedgerRow {
  walletId: string;
  id: string;
  type: OperationType;
  cents: bigint;
  status: string;
  balanceAfterCents: bigint;
  key: string | null;
}

export interface LedgerVerdict {
  violations: string[];
  ledgerRows: number;
  /** Rows whose request was answered SUCCESS with their id. */
  acknowledged: number;
  /** SUCCESS rows applied without a SUCCESS answer (a PENDING, or no answer). */
  inFlightApplied: number;
  /** Per wallet: the signed sum of acknowledged rows and of in-flight applied ones. */
  deltaCentsByWallet: Map<string, { acknowledged: bigint; inFlight: bigint }>;
  pendingApplied: number;
  pendingAbsent: number;
  /** Requests that never got an answer: found applied, or absent (both allowed). */
  unknownApplied: number;
  unknownAbsent: number;
  /** Requests with a key that needed more than one attempt (each applied at most once). */
  keyedRetried: number;
}

const signed = (row: LedgerRow) => (row.status !== 'SUCCESS' ? 0n : row.type === 'DEPOSIT' ? row.cents : -row.cents);
const exactKey = (walletId: string, type: string, cents: bigint) => `${walletId}|${type}|${cents}`;
const looseKey = (walletId: string, cents: bigint) => `${walletId}|${cents}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Assigns every row to at most one request: by answered id, then by wallet/type/amount. */
function traceRows(rows: LedgerRow[], requests: ClientRequest[]): { stored: LedgerRow[][]; unexplained: LedgerRow[] } {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const stored = requests.map(() => [] as LedgerRow[]);
  const claimed = new Set<string>();
  requests.forEach((request, i) => {
    for (const answer of request.answers) {
      const row = 'operationId' in answer && answer.operationId !== undefined ? byId.get(answer.operationId) : undefined;
      if (row && !claimed.has(row.id)) {
        claimed.add(row.id);
        stored[i]!.push(row);
      }
    }
  });
  // Rows no answer named: a request that never got an answer may own one (each takes one row);
  // failing that, the one request of that wallet and amount (the fault suite never repeats an
  // amount within a wallet) owns it, so that the violation reads "answered FAILED but applied" or
  // "stored 2 times"; where several requests share the amount it stays unexplained.
  const open = new Map<string, number[]>();
  const any = new Map<string, number[]>();
  requests.forEach((request, i) => {
    if (stored[i]!.length === 0 && request.answers.some((a) => a.kind === 'NO_ANSWER')) {
      push(open, exactKey(request.walletId, request.type, request.cents), i);
    }
    push(any, looseKey(request.walletId, request.cents), i);
  });
  const unexplained: LedgerRow[] = [];
  for (const row of rows) {
    if (claimed.has(row.id)) continue;
    const sameAmount = any.get(looseKey(row.walletId, row.cents));
    const i = open.get(exactKey(row.walletId, row.type, row.cents))?.pop() ?? (sameAmount?.length === 1 ? sameAmount[0] : undefined);
    if (i === undefined) unexplained.push(row);
    else stored[i]!.push(row);
  }
  return { stored, unexplained };
}

function answerViolations(answer: Answer, request: ClientRequest, stored: LedgerRow[], byId: ReadonlyMap<string, LedgerRow>): string[] {
  const success = stored.find((row) => row.status === 'SUCCESS');
  switch (answer.kind) {
    case 'SUCCESS':
      if (!success) return [`answered SUCCESS (${answer.operationId}) but not stored`];
      if (success.id !== answer.operationId) return [`answered SUCCESS as ${answer.operationId}, stored as ${success.id}`];
      if (answer.balanceCents !== undefined && answer.balanceCents !== success.balanceAfterCents) {
        return [`answered balance ${formatCents(answer.balanceCents)}, stored balance_after ${formatCents(success.balanceAfterCents)}`];
      }
      return [];
    case 'FAILED':
      if (answer.operationId && byId.has(answer.operationId)) return [`answered FAILED but ${answer.operationId} is stored`];
      if (request.key === null && stored.length > 0) return ['answered FAILED but applied'];
      return [];
    case 'REFUSED':
      return success ? [`answered ${answer.status} but stored as SUCCESS ${success.id}`] : [];
    case 'OVERLOADED':
      return request.key === null && stored.length > 0 ? ['answered 503 but applied'] : [];
    case 'PENDING': {
      const row = byId.get(answer.operationId);
      if (answer.resolved === undefined) return [];
      if (answer.resolved === 'UNRESOLVED') return [`PENDING ${answer.operationId} never resolved`];
      if (answer.resolved === 'ABSENT') return row ? [`PENDING resolved as absent but ${answer.operationId} is stored`] : [];
      return row?.status === answer.resolved ? [] : [`PENDING resolved as ${answer.resolved} but stored ${row?.status ?? 'nothing'}`];
    }
    case 'UNEXPECTED':
      return [`unexpected answer ${answer.detail}`];
    case 'NO_ANSWER':
      return [];
  }
}

function rowViolations(row: LedgerRow, request: ClientRequest): string[] {
  const out: string[] = [];
  if (row.type !== request.type || row.cents !== request.cents) out.push(`stored as ${row.type} ${formatCents(row.cents)} (${row.id})`);
  if (row.status === 'REJECTED' && request.key === null) out.push(`stored a REJECTED row ${row.id} without an Idempotency-Key`);
  if (row.status === 'SUCCESS' && request.key !== null && row.key !== request.key) out.push(`stored with key ${String(row.key)}`);
  return out;
}

export function matchLedger(rows: LedgerRow[], requests: ClientRequest[]): LedgerVerdict {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const { stored, unexplained } = traceRows(rows, requests);
  const verdict: LedgerVerdict = {
    violations: [], ledgerRows: rows.length, acknowledged: 0, inFlightApplied: 0, deltaCentsByWallet: new Map(),
    pendingApplied: 0, pendingAbsent: 0, unknownApplied: 0, unknownAbsent: 0, keyedRetried: 0,
  };
  const delta = (walletId: string) => {
    let entry = verdict.deltaCentsByWallet.get(walletId);
    if (!entry) verdict.deltaCentsByWallet.set(walletId, (entry = { acknowledged: 0n, inFlight: 0n }));
    return entry;
  };
  requests.forEach((request, i) => {
    const rowsOf = stored[i]!;
    const what = `${request.type} ${formatCents(request.cents)} on ${request.walletId.slice(0, 8)}${request.key ? ' (keyed)' : ''}`;
    const found = [
      ...(rowsOf.length > 1 ? [`stored ${rowsOf.length} times`] : []),
      ...rowsOf.flatMap((row) => rowViolations(row, request)),
      ...request.answers.flatMap((answer) => answerViolations(answer, request, rowsOf, byId)),
    ];
    verdict.violations.push(...found.map((v) => `${what}: ${v}`));
    for (const row of rowsOf.filter((r) => r.status === 'SUCCESS')) {
      if (request.answers.some((a) => a.kind === 'SUCCESS' && a.operationId === row.id)) {
        verdict.acknowledged++;
        delta(row.walletId).acknowledged += signed(row);
      } else {
        verdict.inFlightApplied++;
        delta(row.walletId).inFlight += signed(row);
      }
    }
    for (const answer of request.answers) {
      if (answer.kind !== 'PENDING') continue;
      if (answer.resolved === 'SUCCESS' || answer.resolved === 'REJECTED') verdict.pendingApplied++;
      else if (answer.resolved === 'ABSENT') verdict.pendingAbsent++;
    }
    if (request.answers.every((a) => a.kind === 'NO_ANSWER')) {
      if (rowsOf.some((row) => row.status === 'SUCCESS')) verdict.unknownApplied++;
      else verdict.unknownAbsent++;
    }
    if (request.key !== null && request.answers.length > 1) verdict.keyedRetried++;
  });
  for (const row of unexplained) {
    verdict.violations.push(`ledger row ${row.id} on ${row.walletId.slice(0, 8)} (${row.type} ${formatCents(row.cents)}) matches no request`);
  }
  return verdict;
}

/** The deposits and withdrawals only: transfer legs and captures are traced by faults/check-transfers.ts and bench/check/transfer-check.ts. */
export async function readLedger(db: pg.Pool, walletIds: readonly string[]): Promise<LedgerRow[]> {
  const result = await db.query<{
    wallet_id: string; id: string; operation_type: OperationType; amount: string; status: string; balance_after: string; idempotency_key: string | null;
  }>(`SELECT wallet_id::text, id::text, operation_type, amount::text, status, balance_after::text, idempotency_key
        FROM operations WHERE wallet_id = ANY ($1::uuid[]) AND operation_type IN ('DEPOSIT', 'WITHDRAW')`, [walletIds]);
  return result.rows.map((row) => ({
    walletId: row.wallet_id, id: row.id, type: row.operation_type, cents: parseCents(row.amount), status: row.status,
    balanceAfterCents: parseCents(row.balance_after), key: row.idempotency_key,
  }));
}

export interface LedgerCheck extends LedgerVerdict {
  walletsReconciled: number;
  operationsReconciled: number;
}

/**
 * The whole check for wallets only these requests touched: the ledger matched with the answers,
 * then the project's reconciliation (src/reconcile: balance = ledger sum, last_seq = max seq, seq
 * without gaps, the balance_after chain, justified rejections), whose mismatches are violations too.
 */
export async function checkLedger(db: pg.Pool, requests: ClientRequest[], walletIds: readonly string[]): Promise<LedgerCheck> {
  const verdict = matchLedger(await readLedger(db, walletIds), requests);
  const books = await reconcile(db, { walletIds });
  verdict.violations.push(...books.mismatches.map((m) => `reconcile: ${m.kind} on ${m.walletId}: ${m.message}`));
  return { ...verdict, walletsReconciled: books.wallets, operationsReconciled: books.operations };
}
