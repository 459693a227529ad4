/**
 * Group commit. Concurrent commands are queued per wallet and applied in batches: one
 * transaction locks each wallet row once, judges every command against the running balance in
 * arrival order, writes one ledger insert and one balance update, and commits once; then each
 * request gets its own result. A hot wallet thus pays one lock hand-off and one commit per batch
 * instead of per command.
 *
 * Scheduling:
 * - at most `walletBatchesInFlightMax` batches per wallet are in flight (default 1: everything
 *   arriving while a wallet's batch runs gathers into its next batch, which is sent the moment the
 *   first one commits, before its answers are written). 2 lets the next batch already wait on the
 *   row lock while the current one commits; measured here, that made batches smaller and was ~5%
 *   slower at 10, 100 and 500 connections. Several app processes pipeline on the lock anyway;
 * - at most `batchesInFlightMax` batches at once (each holds one pool connection);
 * - a batch takes whole wallet queues, oldest wallet first, up to `batchSizeMax` commands, so
 *   cold wallets share batches too (apply_operations locks them in id order: no deadlocks); a
 *   wallet that already has a batch in flight goes alone (see drain);
 * - `maxWaitUs` lets a batch linger for more commands before it is sent, but only while the
 *   engine is busy: when a batch was answered within the last `LINGER_WINDOW_MS`, its clients are
 *   likely to send their next commands within a millisecond or two, and a batch sent with the
 *   first of them alone costs a whole transaction (about 1 ms of PostgreSQL CPU in
 *   apply_operations) for one command. A command arriving at an idle engine is sent at the
 *   next turn of the event loop (which already gathers everything that arrived together), as with
 *   0, which turns lingering off. Node's timers have millisecond resolution: any value up to 1000
 *   waits about 1 ms.
 * Transfers belong to two wallets. A transfer is queued in its source's and its target's queue
 * (one item, in both), so each wallet's queue keeps every command that touches it in arrival
 * order. A batch takes a *group*: a wallet with every wallet linked to it through queued
 * transfers (transitively), and sends the group's commands in arrival order, taking a prefix of
 * every member's queue (the earliest `batchSizeMax` of the group). Each wallet thus still sees its
 * commands judged in arrival order against its running balance, and a hot wallet, whether
 * source or target, still pays one lock hand-off and one commit per batch. A group with a member
 * that has as many batches in flight as allowed waits (the wallet is parked and retried when any
 * batch finishes): a transfer is never sent before an earlier command on either wallet commits.
 * apply_operations_v4 locks all of a batch's wallets in id order, so no mix of transfers can
 * deadlock. docs/architecture.md, "Transfers in the group-commit engine".
 * Bounds: `walletQueueMax` per wallet and `queueTotalMax` overall; beyond them submit() throws
 * Overloaded (503 + Retry-After) instead of growing memory. A command that waited longer than
 * its budget without being sent is answered FAILED (it was never sent, so certainly not applied).
 */
import type { Config } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import type { ExecutionResult, CommandExecutor } from './command-executor.js';
import { FAILED_DETAIL_UNAVAILABLE, Overloaded, PENDING_DETAIL } from './errors.js';
import type { Command } from './apply-script.js';
import type { BatchTrace, SpanContext } from '../tracing/batch-trace.js';

/** A batch answered this recently means more commands are probably on their way (see maxWaitUs). */
const LINGER_WINDOW_MS = 5;

export type BatcherLimits = Config['groupCommit'] & {
  /** Total time a command may take, queueing included. */
  commandBudgetMs: number;
};

export interface SubmittedResult {
  result: ExecutionResult;
  attempts: number;
  transactionMs: number;
  batchSize: number;
  queuedMs: number;
}

interface Queued {
  command: Command;
  /** Arrival order over all wallets: a group's commands are sent in this order. */
  arrival: number;
  enqueuedAt: number;
  /** The queueing request's span, linked from the batch span (tracing on only). */
  trace: SpanContext | undefined;
  resolve(result: SubmittedResult): void;
}

interface WalletQueue {
  items: Queued[];
  inFlight: number;
  /** Queued transfers among items (0: the wallet's group is the wallet alone, no scan needed). */
  transfers: number;
}

/** The wallets of a transfer (source, target) or of a deposit/withdrawal. */
function walletsOf(command: Command): string[] {
  return command.counterpartyWalletId ? [command.walletId, command.counterpartyWalletId] : [command.walletId];
}

export class CommandBatcher {
  private readonly wallets = new Map<string, WalletQueue>();
  /** Wallets with queued commands, oldest first (Map keeps insertion order). */
  private readonly ready = new Map<string, WalletQueue>();
  /** Wallets whose group has a member with no batch slot free; back in `ready` when a batch finishes. */
  private readonly parked = new Map<string, WalletQueue>();
  private arrivals = 0;
  private queuedTotal = 0;
  private batchesInFlight = 0;
  /** Commands of finished batches whose answers wait for the next check phase (see send). */
  private answersPending = 0;
  private drainScheduled = false;
  /** When the last batch was answered (performance.now()); -Infinity before the first. */
  private lastAnsweredAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Resolves close() once nothing is queued or in flight. */
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly executor: Pick<CommandExecutor, 'execute'>,
    private readonly limits: BatcherLimits,
    private readonly log?: Logger,
    /** Tracing's batch spans; undefined when tracing is off (src/tracing/batch-trace.ts). */
    private readonly trace?: BatchTrace,
  ) {}

  /** Queued commands right now (for metrics). */
  get queued(): number { return this.queuedTotal; }
  get inFlight(): number { return this.batchesInFlight; }

  submit(command: Command): Promise<SubmittedResult> {
    if (this.closed) throw new Overloaded('shutting down');
    if (this.queuedTotal >= this.limits.queueTotalMax) throw new Overloaded('queue full');
    const walletIds = walletsOf(command);
    for (const walletId of walletIds) {
      if ((this.wallets.get(walletId)?.items.length ?? 0) >= this.limits.walletQueueMax) throw new Overloaded('wallet queue full');
    }
    const transfer = walletIds.length > 1;
    return new Promise((resolve) => {
      const item: Queued = { command, arrival: this.arrivals++, enqueuedAt: performance.now(), trace: this.trace?.capture(), resolve };
      for (const walletId of walletIds) {
        let wallet = this.wallets.get(walletId);
        if (!wallet) {
          wallet = { items: [], inFlight: 0, transfers: 0 };
          this.wallets.set(walletId, wallet);
        }
        wallet.items.push(item);
        if (transfer) wallet.transfers++;
        if (wallet.inFlight < this.limits.walletBatchesInFlightMax && !this.parked.has(walletId)) this.ready.set(walletId, wallet);
      }
      this.queuedTotal++;
      this.scheduleDrain();
    });
  }

  /**
   * Stops taking new commands; queued ones are still sent. Resolves when every command taken
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
    return this.queuedTotal === 0 && this.batchesInFlight === 0 && this.answersPending === 0;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    const run = () => {
      this.drainScheduled = false;
      this.drain();
    };
    if (this.limits.maxWaitUs > 0 && performance.now() - this.lastAnsweredAt < LINGER_WINDOW_MS) {
      setTimeout(run, this.limits.maxWaitUs / 1000);
    } else {
      setImmediate(run);
    }
  }

  private drain(): void {
    const slots = this.limits.walletBatchesInFlightMax;
    while (this.batchesInFlight < this.limits.batchesInFlightMax && this.ready.size > 0) {
      const batch: Queued[] = [];
      const walletIds: string[] = [];
      const [firstId, first] = this.ready.entries().next().value!;
      const group = this.group(firstId, first);
      if ([...group.values()].some((w) => w.inFlight >= slots)) {
        // A transfer links it to a wallet with no slot free: sending it now could judge the
        // transfer before an earlier command on that wallet. Retried when a batch finishes.
        this.ready.delete(firstId);
        this.parked.set(firstId, first);
        continue;
      }
      // A group with a batch already in flight goes alone: that batch then waits only on its
      // own row locks. Shared with other wallets, it would hold their locks while it waits, and a
      // batch of cold wallets would queue behind a hot one (a convoy across batches).
      const alone = [...group.values()].some((w) => w.inFlight > 0);
      this.take(group, batch, walletIds);
      if (!alone) {
        for (const [walletId, wallet] of this.ready) {
          if (batch.length >= this.limits.batchSizeMax) break;
          if (wallet.inFlight > 0) continue;
          const other = this.group(walletId, wallet);
          // a member already in this batch (or in another) would break its arrival order
          if ([...other.values()].some((w) => w.inFlight > 0)) continue;
          this.take(other, batch, walletIds);
        }
      }
      this.batchesInFlight++;
      void this.send(batch, walletIds);
    }
  }

  /** The wallet and every wallet linked to it through queued transfers, transitively. */
  private group(walletId: string, wallet: WalletQueue): Map<string, WalletQueue> {
    const group = new Map([[walletId, wallet]]);
    if (wallet.transfers === 0) return group;
    const frontier = [walletId];
    while (frontier.length > 0) {
      const id = frontier.pop()!;
      const member = group.get(id)!;
      if (member.transfers === 0) continue;
      for (const q of member.items) {
        for (const linked of walletsOf(q.command)) {
          if (!group.has(linked)) {
            group.set(linked, this.wallets.get(linked)!);
            frontier.push(linked);
          }
        }
      }
    }
    return group;
  }

  /**
   * Moves the group's earliest commands (arrival order, up to the batch's room) into the batch.
   * Every wallet's queue is in arrival order, so what is taken is a prefix of each member's queue.
   */
  private take(group: Map<string, WalletQueue>, batch: Queued[], walletIds: string[]): void {
    const room = this.limits.batchSizeMax - batch.length;
    let taken: Queued[];
    if (group.size === 1) {
      taken = group.values().next().value!.items.slice(0, room);
    } else {
      const all = new Set<Queued>();
      for (const w of group.values()) for (const q of w.items) all.add(q);
      taken = [...all].sort((a, b) => a.arrival - b.arrival).slice(0, room);
    }
    const takenSet = new Set(taken);
    for (const [walletId, wallet] of group) {
      let n = 0;
      let transfers = 0;
      while (n < wallet.items.length && takenSet.has(wallet.items[n]!)) {
        if (wallet.items[n]!.command.counterpartyWalletId) transfers++;
        n++;
      }
      if (n === 0) continue;
      wallet.items.splice(0, n);
      wallet.transfers -= transfers;
      wallet.inFlight++;
      walletIds.push(walletId);
      this.ready.delete(walletId);
      this.parked.delete(walletId);
      if (wallet.items.length > 0 && wallet.inFlight < this.limits.walletBatchesInFlightMax) {
        this.ready.set(walletId, wallet); // goes to the back: other wallets get their turn
      }
    }
    batch.push(...taken);
    this.queuedTotal -= taken.length;
  }

  private finish(walletIds: string[]): void {
    this.batchesInFlight--;
    for (const walletId of walletIds) {
      const wallet = this.wallets.get(walletId)!;
      wallet.inFlight--;
      if (wallet.items.length > 0) {
        if (!this.parked.has(walletId)) this.ready.set(walletId, wallet);
      } else if (wallet.inFlight === 0) this.wallets.delete(walletId);
    }
    // A slot was freed: parked groups may go now (drain parks them again if not).
    for (const [walletId, wallet] of this.parked) this.ready.set(walletId, wallet);
    this.parked.clear();
    // What queued during the batch has had its chance to gather: send it now, not a turn later,
    // so the row lock is never left idle while the next batch waits in our queue.
    if (this.ready.size > 0) this.drain();
  }

  private async send(batch: Queued[], walletIds: string[]): Promise<void> {
    const now = performance.now();
    // Never sent, so certainly not applied: answer FAILED rather than exceed the request's bound.
    const expired = batch.filter((q) => now - q.enqueuedAt >= this.limits.commandBudgetMs);
    const live = expired.length === 0 ? batch : batch.filter((q) => now - q.enqueuedAt < this.limits.commandBudgetMs);
    for (const q of expired) {
      q.resolve({ result: { kind: 'failed', detail: FAILED_DETAIL_UNAVAILABLE }, attempts: 0, transactionMs: 0, batchSize: 0, queuedMs: now - q.enqueuedAt });
    }
    let answers: SubmittedResult[] = [];
    if (live.length > 0) {
      const oldest = Math.min(...live.map((q) => q.enqueuedAt));
      const budgetMs = Math.max(1, this.limits.commandBudgetMs - (now - oldest));
      try {
        const execute = () => this.executor.execute(live.map((q) => q.command), budgetMs);
        const execution = await (this.trace ? this.trace.run(live.map((q) => q.trace), live.length, execute) : execute());
        answers = live.map((q, i) => ({
          result: execution.results[i]!, attempts: execution.attempts, transactionMs: execution.transactionMs,
          batchSize: live.length, queuedMs: now - q.enqueuedAt,
        }));
      } catch (error) {
        // execute() reports failures as results, so an exception here is a bug; the batch may or
        // may not have been sent, so the honest answer is PENDING. The cause goes to the log only.
        this.log?.error({ err: error, commands: live.length }, 'group-commit batch failed unexpectedly');
        answers = live.map((q) => ({
          result: { kind: 'pending', detail: PENDING_DETAIL },
          attempts: 0, transactionMs: 0, batchSize: live.length, queuedMs: now - q.enqueuedAt,
        }));
      }
    }
    // Free the slot and send the next batch before answering this one: the row lock is the
    // bottleneck. The next batch reaches its connection only in this turn's nextTick and microtask
    // drain (pool.connect resolves there), while answering here would run every request's
    // serialization and socket write first, in the same drain; so the answers wait for the check
    // phase (setImmediate), and PostgreSQL works on the next batch while they are written.
    this.answersPending += live.length;
    this.finish(walletIds);
    setImmediate(() => {
      this.lastAnsweredAt = performance.now();
      this.answersPending -= live.length;
      live.forEach((q, i) => q.resolve(answers[i]!));
      if (this.onIdle && this.idle) {
        const notify = this.onIdle;
        this.onIdle = undefined;
        notify();
      }
    });
  }
}
