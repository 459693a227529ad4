/**
 * Reads (and the idempotent wallet insert) retry transient faults within the read budget; an
 * outage that outlasts it becomes DatabaseUnavailable (503), never a hang or a 500.
 */
import { classifyDbError } from '../db/pg-errors.js';
import type { Logger } from '../lib/logger.js';
import { RetriesExhausted, retry, type RetryPolicy } from '../lib/retry.js';
import { DatabaseUnavailable } from './errors.js';

export async function readWithRetry<T>(policy: RetryPolicy, log: Logger, work: () => Promise<T>): Promise<T> {
  try {
    return await retry(policy, {
      isRetryable: (error) => classifyDbError(error).transient,
      onRetry: (error, attempt) => log.warn({ sqlstate: classifyDbError(error).code, attempt }, 'transient database fault on read, retrying'),
    }, work);
  } catch (error) {
    const cause = error instanceof RetriesExhausted ? error.lastError : error;
    if (classifyDbError(cause).transient) {
      log.error({ err: cause }, 'database unavailable');
      throw new DatabaseUnavailable();
    }
    throw cause;
  }
}
