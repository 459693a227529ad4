/**
 * Runs a batch of commands as one transaction (one round trip), retrying transient faults.
 * Safe to retry because every command's id is fixed before the first attempt: an attempt after
 * a failure first looks for those ids, so a COMMIT that succeeded without us hearing of it is
 * found, not repeated. If the truth cannot be established within the budget the result is PENDING.
 *
 * Once the transaction script has resolved, its COMMIT has taken effect: anything that throws
 * after that point (reading the rows back, a hook) is a bug. It is logged, and the batch is
 * answered PENDING (the GET finds the truth), never FAILED and never retried.
 */
import type pg from 'pg';
import { CommitOutcomeUnknown, ReplicationUnconfirmed, runTransactionScript } from '../db/database.js';
import { classifyDbError } from '../db/pg-errors.js';
import type { Logger } from '../lib/logger.js';
import { RetriesExhausted, retry, type RetryPolicy } from '../lib/retry.js';
import { FAILED_DETAIL_INTERNAL, FAILED_DETAIL_UNAVAILABLE, PENDING_DETAIL } from './errors.js';
import {
  type AppliedCommand, applyCommandsScript, type BatchLimits, type BatchRows, type Command, readAppliedRows,
} from './apply-script.js';

/** Something failed after the COMMIT took effect: a bug, but the batch is applied. */
class FailedAfterCommit extends Error {
  constructor(override readonly cause: unknown) {
    super(`failed after COMMIT: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'FailedAfterCommit';
  }
}

export type ExecutionResult =
  | { kind: 'done'; applied: AppliedCommand }
  /** Known not applied: every attempt failed before its COMMIT could take effect. */
  | { kind: 'failed'; detail: string }
  /** A COMMIT may have taken effect unheard, and no later attempt could check in time. */
  | { kind: 'pending'; detail: string };

export interface BatchExecution {
  results: ExecutionResult[];
  attempts: number;
  /** Duration of the last attempt's transaction, ms. */
  transactionMs: number;
  /** Time the last attempt waited for the wallet row locks, ms. */
  lockWaitMs: number;
}

/** One transaction attempt, for the slow-transaction log: the batch's first wallet and command, its size, the attempt. */
export interface TransactionContext {
  walletId: string | undefined;
  commandId: string | undefined;
  commands: number;
  attempt: number;
}

/**
 * What the executor reports, for metrics (src/plugins/metrics.ts implements it): the one contract
 * between the engine and its observers.
 */
export interface ExecutorHooks {
  /** A transient fault is retried: its SQLSTATE (or Node error code). */
  onRetry?(code: string): void;
  onTransaction?(durationMs: number, ok: boolean, context: TransactionContext): void;
  /** The time the attempt waited for its wallet row locks, as apply_operations_v4 measured it. */
  onLockWait?(waitMs: number): void;
  /** A batch of `size` commands is about to run. */
  onBatch?(size: number): void;
}

export class CommandExecutor {
  constructor(
    private readonly pool: pg.Pool,
    private readonly limits: BatchLimits,
    private readonly policy: RetryPolicy,
    private readonly log: Logger,
    private readonly hooks: ExecutorHooks = {},
    /** Reads the committed rows; replaceable only to prove the rule above (a negative control). */
    private readonly readRows: (results: readonly pg.QueryResult[], count: number) => BatchRows = readAppliedRows,
  ) {}

  async execute(commands: readonly Command[], budgetMs = this.policy.budgetMs): Promise<BatchExecution> {
    let ambiguous = false;
    let attempts = 0;
    let transactionMs = 0;
    let lockWaitMs = 0;
    const isRetryable = (error: unknown) => !(error instanceof ReplicationUnconfirmed || error instanceof FailedAfterCommit) &&
      (error instanceof CommitOutcomeUnknown || classifyDbError(error).transient);
    this.hooks.onBatch?.(commands.length);
    try {
      const applied = await retry({ ...this.policy, budgetMs }, {
        isRetryable,
        onRetry: (error, attempt, delayMs) => {
          const code = classifyDbError(error instanceof CommitOutcomeUnknown ? error.cause : error).code;
          this.hooks.onRetry?.(code);
          this.log.warn({ sqlstate: code, attempt, delayMs, commands: commands.length, walletId: commands[0]?.walletId,
            commandId: commands[0]?.id, err: (error as Error).message }, 'transient database fault, retrying');
        },
      }, async (attempt) => {
        attempts = attempt;
        const startedAt = performance.now();
        let ok = false;
        try {
          const results = await runTransactionScript(this.pool, applyCommandsScript(commands, attempt > 1, this.limits));
          ok = true; // committed: from here on, nothing may turn this batch into FAILED
          try {
            const rows = this.readRows(results, commands.length);
            lockWaitMs = rows.lockWaitMs;
            this.hooks.onLockWait?.(lockWaitMs);
            return rows.applied;
          } catch (error) {
            throw new FailedAfterCommit(error);
          }
        } catch (error) {
          if (error instanceof CommitOutcomeUnknown || error instanceof FailedAfterCommit) ambiguous = true;
          throw error;
        } finally {
          transactionMs = performance.now() - startedAt;
          this.hooks.onTransaction?.(transactionMs, ok,
            { walletId: commands[0]?.walletId, commandId: commands[0]?.id, commands: commands.length, attempt });
        }
      });
      return { results: applied.map((a) => ({ kind: 'done', applied: a })), attempts, transactionMs, lockWaitMs };
    } catch (error) {
      const cause = error instanceof RetriesExhausted ? error.lastError : error;
      const transient = isRetryable(cause);
      this.log.error({ err: cause, attempts, ambiguous, commands: commands.length, walletId: commands[0]?.walletId,
        commandId: commands[0]?.id }, cause instanceof FailedAfterCommit ? 'BUG: batch committed but its answer could not be read'
        : ambiguous ? 'batch outcome unknown' : 'batch failed, nothing applied');
      const result: ExecutionResult = ambiguous
        ? { kind: 'pending', detail: PENDING_DETAIL }
        : { kind: 'failed', detail: transient ? FAILED_DETAIL_UNAVAILABLE : FAILED_DETAIL_INTERNAL };
      return { results: commands.map(() => result), attempts, transactionMs, lockWaitMs };
    }
  }
}
