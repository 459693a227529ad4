/**
 * Group commit. Concurrent operations are queued per wallet and applied in batches: one
 * transaction locks each wallet row once, judges every operation against the running balance in
 * arrival order, writes one ledger insert and one balance update, and commits once; then each
 * request gets its own result. A hot wallet thus pays one lock hand-off and one commit per batch
 * instead of per operation.
 *
 * Scheduling:
 * - at most `walletBatchesInFlightMax` batches per wallet are in flight (default 1: everything
 *   arriving while a wallet's batch runs gathers into its next batch, which is sent the moment the
 *   first one commits, before its answers are written). 2 lets the next batch already wait on the
 *   row lock while the current one commits; measured here, that made batches smaller and was ~5%
 *   slower at 10, 100 and 500 connections. Several app processes pipeline on the lock anyway;
 * - at most `batchesInFlightMax` batches at once (each holds one pool connection);
 * - a batch takes whole wallet queues, oldest wallet first, up to `batchSizeMax` operations, so
 *   cold wallets share batches too (apply_operations locks them in id order: no deadlocks); a
 *   wallet that already has a batch in flight goes alone (see drain);
 * - `maxWaitUs` lets a batch linger for more operations before it is sent (0: send at the next
 *   turn of the event loop, which already gathers everything that arrived together).
 * Bounds: `walletQueueMax` per wallet and `queueTotalMax` overall; beyond them submit() throws
 * Overloaded (503 + Retry-After) instead of growing memory. An operation that waited longer than
 * its budget without being sent is answered FAILED (it was never sent, so certainly not applied).
 */
import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import type { ExecutionResult, OperationExecutor } from './operation-executor.js';
import { FAILED_DETAIL_UNAVAILABLE, Overloaded, PENDING_DETAIL } from './wallet-errors.js';
import type { OperationInput } from './wallet-repository.js';

export type BatcherLimits = Config['groupCommit'] & {
  /** Total time an operation may take, queueing included. */
  operationBudgetMs: number;
};

export interface SubmittedResult {
  result: ExecutionResult;
  attempts: number;
  transactionMs: number;
  batchSize: number;
  queuedMs: number;
}

interface Queued {
  op: OperationInput;
  enqueuedAt: number;
  resolve(result: SubmittedResult): void;
}

interface WalletQueue {
  items: Queued[];
  inFlight: number;
}

export class OperationBatcher {
  private readonly wallets = new Map<string, WalletQueue>();
  /** Wallets with queued operations, oldest first (Map keeps insertion order). */
  private readonly ready = new Map<string, WalletQueue>();
  private queuedTotal = 0;
  private batchesInFlight = 0;
  private drainScheduled = false;
  private closed = false;
  /** Resolves close() once nothing is queued or in flight. */
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly executor: Pick<OperationExecutor, 'execute'>,
    private readonly limits: BatcherLimits,
    private readonly log?: Logger,
  ) {}

  /** Queued operations right now (for metrics). */
  get queued(): number { return this.queuedTotal; }
  get inFlight(): number { return this.batchesInFlight; }

  submit(op: OperationInput): Promise<SubmittedResult> {
    if (this.closed) throw new Overloaded('shutting down');
    if (this.queuedTotal >= this.limits.queueTotalMax) throw new Overloaded('queue full');
    let wallet = this.wallets.get(op.walletId);
    if (!wallet) {
      wallet = { items: [], inFlight: 0 };
      this.wallets.set(op.walletId, wallet);
    }
    if (wallet.items.length >= this.limits.walletQueueMax) throw new Overloaded('wallet queue full');
    return new Promise((resolve) => {
      wallet.items.push({ op, enqueuedAt: performance.now(), resolve });
      this.queuedTotal++;
      if (wallet.inFlight < this.limits.walletBatchesInFlightMax) this.ready.set(op.walletId, wallet);
      this.scheduleDrain();
    });
  }

  /**
   * Stops taking new operations; queued ones are still sent. Resolves when every operation taken
   * has been answered, so the pool may be closed after it without cutting a batch in flight.
   */
  close(): Promise<void> {
    this.closed = true;
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.onIdle;
      this.onIdle = () => { previous?.(); resolve(); };
    });
  }

  private get idle(): boolean {
    return this.queuedTotal === 0 && this.batchesInFlight === 0;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    const run = () => {
      this.drainScheduled = false;
      this.drain();
    };
    if (this.limits.maxWaitUs > 0) setTimeout(run, this.limits.maxWaitUs / 1000);
    else setImmediate(run);
  }

  private drain(): void {
    while (this.batchesInFlight < this.limits.batchesInFlightMax && this.ready.size > 0) {
      const batch: Queued[] = [];
      const walletIds: string[] = [];
      const take = (walletId: string, wallet: WalletQueue) => {
        const taken = wallet.items.splice(0, this.limits.batchSizeMax - batch.length);
        batch.push(...taken);
        this.queuedTotal -= taken.length;
        wallet.inFlight++;
        walletIds.push(walletId);
        this.ready.delete(walletId);
        if (wallet.items.length > 0 && wallet.inFlight < this.limits.walletBatchesInFlightMax) {
          this.ready.set(walletId, wallet); // goes to the back: other wallets get their turn
        }
      };
      const [firstId, first] = this.ready.entries().next().value!;
      // A wallet that already has a batch in flight goes alone: that batch then waits only on its
      // own row lock. Shared with other wallets, it would hold their locks while it waits, and a
      // batch of cold wallets would queue behind a hot one (a convoy across batches).
      const alone = first.inFlight > 0;
      take(firstId, first);
      if (!alone) {
        for (const [walletId, wallet] of this.ready) {
          if (batch.length >= this.limits.batchSizeMax) break;
          if (wallet.inFlight === 0) take(walletId, wallet);
        }
      }
      this.batchesInFlight++;
      void this.send(batch, walletIds);
    }
  }

  private finish(walletIds: string[]): void {
    this.batchesInFlight--;
    for (const walletId of walletIds) {
      const wallet = this.wallets.get(walletId)!;
      wallet.inFlight--;
      if (wallet.items.length > 0) this.ready.set(walletId, wallet);
      else if (wallet.inFlight === 0) this.wallets.delete(walletId);
    }
    // What queued during the batch has had its chance to gather: send it now, not a turn later,
    // so the row lock is never left idle while the next batch waits in our queue.
    if (this.ready.size > 0) this.drain();
  }

  private async send(batch: Queued[], walletIds: string[]): Promise<void> {
    const now = performance.now();
    // Never sent, so certainly not applied: answer FAILED rather than exceed the request's bound.
    const expired = batch.filter((q) => now - q.enqueuedAt >= this.limits.operationBudgetMs);
    const live = expired.length === 0 ? batch : batch.filter((q) => now - q.enqueuedAt < this.limits.operationBudgetMs);
    for (const q of expired) {
      q.resolve({ result: { kind: 'failed', detail: FAILED_DETAIL_UNAVAILABLE }, attempts: 0, transactionMs: 0, batchSize: 0, queuedMs: now - q.enqueuedAt });
    }
    let answers: SubmittedResult[] = [];
    if (live.length > 0) {
      const oldest = Math.min(...live.map((q) => q.enqueuedAt));
      const budgetMs = Math.max(1, this.limits.operationBudgetMs - (now - oldest));
      try {
        const execution = await this.executor.execute(live.map((q) => q.op), budgetMs);
        answers = live.map((q, i) => ({
          result: execution.results[i]!, attempts: execution.attempts, transactionMs: execution.transactionMs,
          batchSize: live.length, queuedMs: now - q.enqueuedAt,
        }));
      } catch (error) {
        // execute() reports failures as results, so an exception here is a bug; the batch may or
        // may not have been sent, so the honest answer is PENDING. The cause goes to the log only.
        this.log?.error({ err: error, operations: live.length }, 'group-commit batch failed unexpectedly');
        answers = live.map((q) => ({
          result: { kind: 'pending', detail: PENDING_DETAIL },
          attempts: 0, transactionMs: 0, batchSize: live.length, queuedMs: now - q.enqueuedAt,
        }));
      }
    }
    // Free the slot and send the next batch before answering this one: the row lock is the
    // bottleneck, the answers can wait the few microseconds that takes.
    this.finish(walletIds);
    live.forEach((q, i) => q.resolve(answers[i]!));
    if (this.onIdle && this.idle) {
      const notify = this.onIdle;
      this.onIdle = undefined;
      notify();
    }
  }
}
