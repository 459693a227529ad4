/**
 * What the harness saw of every operation it sent, as the ledger check's client record
 * (ledger-check.ts). Each request is registered when autocannon builds it and gets its answer
 * when the response arrives; a request still open when the run stops (cut by the time limit, a
 * timeout, a dropped connection or a 5xx) may or may not have been applied.
 */
import { parseCents } from '../../src/lib/cents.js';
import type { Answer, ClientRequest, OperationType } from './ledger-check.js';

export interface SentOperation {
  walletId: string;
  type: OperationType;
  cents: bigint;
}

export interface AnswerSeen {
  status: 'SUCCESS' | 'PENDING' | 'FAILED' | 'REFUSED' | 'OTHER';
  balanceCents?: bigint;
}

const oddAnswersMax = 20;

export class OperationTracker {
  private nextKey = 1;
  private readonly open = new Map<number, ClientRequest>();
  private readonly closed: ClientRequest[] = [];
  /** Answered 200 SUCCESS. */
  succeeded = 0;
  /** Answered 200 FAILED: certainly not applied. */
  failed = 0;
  /** Answered 4xx (e.g. insufficient funds): not applied. */
  refused = 0;
  /** Bodies we could not make sense of (counted as check problems). */
  readonly oddAnswers: string[] = [];

  /** Registers an operation about to be sent; returns its key for answered(). */
  sent(operation: SentOperation): number {
    const key = this.nextKey++;
    this.open.set(key, { ...operation, key: null, answers: [] });
    return key;
  }

  /** Records the answer to the operation with this key. */
  answered(key: number, httpStatus: number, body: string): AnswerSeen {
    const request = this.open.get(key);
    // A 5xx outcome is unknown to a client: leave it open (the run fails on the 5xx anyway).
    if (!request || httpStatus >= 500) return { status: 'OTHER' };
    this.open.delete(key);
    this.closed.push(request);
    const { answer, seen } = this.read(request, httpStatus, body);
    request.answers.push(answer);
    return seen;
  }

  /** Every request sent so far; those never answered carry a NO_ANSWER. */
  requests(): ClientRequest[] {
    return [...this.closed, ...[...this.open.values()].map((r) => ({ ...r, answers: [{ kind: 'NO_ANSWER' as const }] }))];
  }

  private read(request: ClientRequest, httpStatus: number, body: string): { answer: Answer; seen: AnswerSeen } {
    const unexpected = (why: string) => {
      this.note(`${why}: ${body.slice(0, 120)}`);
      return { answer: { kind: 'UNEXPECTED' as const, detail: `${httpStatus} ${why}` }, seen: { status: 'OTHER' as const } };
    };
    if (httpStatus !== 200) {
      this.refused++;
      return { answer: { kind: 'REFUSED', status: httpStatus }, seen: { status: 'REFUSED' } };
    }
    let parsed: { id?: unknown; status?: unknown; balance?: unknown; amount?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return unexpected('unparseable 200 body');
    }
    const operationId = typeof parsed.id === 'string' ? parsed.id : undefined;
    if (!operationId) return unexpected('200 body without id');
    if (parsed.status === 'SUCCESS') {
      if (typeof parsed.amount !== 'string' || parseCents(parsed.amount) !== request.cents) {
        this.note(`operation ${operationId} answered amount ${String(parsed.amount)}, sent ${request.cents} cents`);
      }
      this.succeeded++;
      const balanceCents = typeof parsed.balance === 'string' ? parseCents(parsed.balance) : undefined;
      return { answer: { kind: 'SUCCESS', operationId, balanceCents }, seen: { status: 'SUCCESS', balanceCents } };
    }
    if (parsed.status === 'PENDING') return { answer: { kind: 'PENDING', operationId }, seen: { status: 'PENDING' } };
    if (parsed.status === 'FAILED') {
      this.failed++;
      return { answer: { kind: 'FAILED', operationId }, seen: { status: 'FAILED' } };
    }
    return unexpected(`unexpected operation status ${String(parsed.status)}`);
  }

  private note(message: string): void {
    if (this.oddAnswers.length < oddAnswersMax) this.oddAnswers.push(message);
  }
}
