/**
 * Runs a batch of operations as one transaction, retrying transient faults. Safe to retry
 * because every operation's id is fixed before the first attempt: an attempt after a failure
 * first looks for those ids, so a COMMIT that succeeded without us hearing of it is found,
 * not repeated. If the truth cannot be established within the budget the result is PENDING.
 */
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import { CommitOutcomeUnknown, withTransaction, type TransactionLimits } from '../db/database.js';
import { classifyDbError } from '../db/pg-errors.js';
import { RetriesExhausted, retry, type RetryPolicy } from '../lib/retry.js';
import { applyOperations, type AppliedOperation, type OperationInput } from './wallet-repository.js';

export type ExecutionResult =
  | { kind: 'done'; applied: AppliedOperation }
  /** Known not applied: every attempt failed before its COMMIT. */
  | { kind: 'failed'; detail: string }
  /** A COMMIT may have succeeded unheard, and no later attempt could check. */
  | { kind: 'pending'; detail: string };

export interface BatchExecution {
  results: ExecutionResult[];
  attempts: number;
  /** Duration of the last attempt's transaction, ms. */
  transactionMs: number;
}

export interface ExecutorHooks {
  onRetry?(code: string): void;
  onTransaction?(durationMs: number, ok: boolean): void;
}

export class OperationExecutor {
  constructor(
    private readonly pool: pg.Pool,
    private readonly limits: TransactionLimits,
    private readonly policy: RetryPolicy,
    private readonly log: FastifyBaseLogger,
    private readonly hooks: ExecutorHooks = {},
  ) {}

  async execute(ops: readonly OperationInput[]): Promise<BatchExecution> {
    let ambiguous = false;
    let attempts = 0;
    let transactionMs = 0;
    const isRetryable = (error: unknown) => error instanceof CommitOutcomeUnknown || classifyDbError(error).transient;
    try {
      const applied = await retry(this.policy, {
        isRetryable,
        onRetry: (error, attempt, delayMs) => {
          const code = classifyDbError(error instanceof CommitOutcomeUnknown ? error.cause : error).code;
          this.hooks.onRetry?.(code);
          this.log.warn({ sqlstate: code, attempt, delayMs, operations: ops.length, walletId: ops[0]?.walletId,
            operationId: ops[0]?.id, err: (error as Error).message }, 'transient database fault, retrying');
        },
      }, async (attempt) => {
        attempts = attempt;
        const startedAt = performance.now();
        let ok = false;
        try {
          const rows = await withTransaction(this.pool, this.limits,
            (client) => applyOperations(client, ops, attempt > 1));
          ok = true;
          return rows;
        } catch (error) {
          if (error instanceof CommitOutcomeUnknown) ambiguous = true;
          throw error;
        } finally {
          transactionMs = performance.now() - startedAt;
          this.hooks.onTransaction?.(transactionMs, ok);
        }
      });
      return { results: applied.map((a) => ({ kind: 'done', applied: a })), attempts, transactionMs };
    } catch (error) {
      const cause = error instanceof RetriesExhausted ? error.lastError : error;
      const transient = isRetryable(cause);
      this.log.error({ err: cause, attempts, ambiguous, operations: ops.length, walletId: ops[0]?.walletId,
        operationId: ops[0]?.id }, ambiguous ? 'operation outcome unknown' : 'operation failed, nothing applied');
      const result: ExecutionResult = ambiguous
        ? { kind: 'pending', detail: 'The database connection was lost while committing and the outcome could not be confirmed in time; ' +
            'GET the operation (or retry with the same Idempotency-Key) to learn the final outcome' }
        : { kind: 'failed', detail: transient
            ? 'Database unavailable; the operation was not applied, please retry'
            : 'Internal error; the operation was not applied' };
      return { results: ops.map(() => result), attempts, transactionMs };
    }
  }
}
