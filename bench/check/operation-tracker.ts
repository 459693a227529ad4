/**
 * What the harness saw of every operation it sent. Each request is registered when autocannon
 * builds it and resolved when its response arrives; a request still open when the run stops
 * (cut by the time limit, a timeout or a dropped connection) may or may not have been applied,
 * so the ledger check accepts it only if a ledger row matches it exactly (wallet, type, amount).
 */
import { parseCents } from '../lib-cents.js';

export type OperationType = 'DEPOSIT' | 'WITHDRAW';

export interface SentOperation {
  walletId: string;
  type: OperationType;
  cents: bigint;
}

export interface AcknowledgedOperation extends SentOperation {
  /** Operation id returned by the service. */
  id: string;
}

export interface OperationAnswer {
  status: 'SUCCESS' | 'REJECTED' | 'FAILED' | 'PENDING' | 'REFUSED' | 'OTHER';
  balanceCents?: bigint;
}

export class OperationTracker {
  private nextKey = 1;
  private readonly open = new Map<number, SentOperation>();
  /** Answered 200 SUCCESS: these must be in the ledger. */
  readonly succeeded = new Map<string, AcknowledgedOperation>();
  /** Answered 200 PENDING: the outcome is in the ledger or nowhere; their ids are known. */
  readonly pending = new Map<string, AcknowledgedOperation>();
  /** Answered 200 FAILED: certainly not applied. */
  failed = 0;
  /** Answered 4xx (e.g. insufficient funds): not applied. */
  refused = 0;
  /** Bodies we could not make sense of (counted as check problems). */
  readonly oddAnswers: string[] = [];

  /** Registers an operation about to be sent; returns its key for answered(). */
  sent(operation: SentOperation): number {
    const key = this.nextKey++;
    this.open.set(key, operation);
    return key;
  }

  /** Records the answer to the operation with this key. */
  answered(key: number, httpStatus: number, body: string): OperationAnswer {
    const operation = this.open.get(key);
    if (!operation) return { status: 'OTHER' };
    if (httpStatus >= 500) {
      // 5xx outcome is unknown to a client: leave it open (the run fails on the 5xx anyway).
      return { status: 'OTHER' };
    }
    this.open.delete(key);
    if (httpStatus !== 200) {
      this.refused++;
      return { status: 'REFUSED' };
    }
    let parsed: { id?: unknown; status?: unknown; balance?: unknown; amount?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      this.note(`unparseable 200 body: ${body.slice(0, 120)}`);
      return { status: 'OTHER' };
    }
    const id = typeof parsed.id === 'string' ? parsed.id : undefined;
    if (!id) {
      this.note(`200 body without id: ${body.slice(0, 120)}`);
      return { status: 'OTHER' };
    }
    if (parsed.status === 'SUCCESS') {
      if (typeof parsed.amount !== 'string' || parseCents(parsed.amount) !== operation.cents) {
        this.note(`operation ${id} answered amount ${String(parsed.amount)}, sent ${operation.cents} cents`);
      }
      this.succeeded.set(id, { ...operation, id });
      const balanceCents = typeof parsed.balance === 'string' ? parseCents(parsed.balance) : undefined;
      return { status: 'SUCCESS', balanceCents };
    }
    if (parsed.status === 'PENDING') {
      this.pending.set(id, { ...operation, id });
      return { status: 'PENDING' };
    }
    if (parsed.status === 'FAILED') {
      this.failed++;
      return { status: 'FAILED' };
    }
    this.note(`unexpected operation status ${String(parsed.status)} for ${id}`);
    return { status: 'OTHER' };
  }

  /** Operations sent and never answered (in flight when the run stopped, timed out, or 5xx). */
  unanswered(): SentOperation[] {
    return [...this.open.values()];
  }

  private note(message: string): void {
    if (this.oddAnswers.length < 20) this.oddAnswers.push(message);
  }
}
