/**
 * Capped exponential backoff with full jitter, bounded both in attempts and in total time.
 * The caller decides what is retryable and what a retry must check first; this only paces.
 */
import { sleep } from './wait-for.js';

export interface RetryPolicy {
  attemptsMax: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No attempt starts after this much time has passed since the first one. */
  budgetMs: number;
}

export interface RetryHooks {
  isRetryable(error: unknown): boolean;
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

export class RetriesExhausted extends Error {
  constructor(readonly lastError: unknown, readonly attempts: number) {
    super(`gave up after ${attempts} attempt(s): ${(lastError as Error)?.message ?? String(lastError)}`);
    this.name = 'RetriesExhausted';
  }
}

export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}


/**
 * Runs `attempt(n)` for n = 1, 2, ... until it succeeds, fails with a non-retryable error
 * (rethrown as is), or the bounds are reached (RetriesExhausted, carrying the last error).
 */
export async function retry<T>(
  policy: RetryPolicy,
  hooks: RetryHooks,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  const startedAt = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!hooks.isRetryable(error)) throw error;
      const delayMs = backoffDelayMs(policy, n);
      const elapsedMs = Date.now() - startedAt;
      if (n >= policy.attemptsMax || elapsedMs + delayMs >= policy.budgetMs) {
        throw new RetriesExhausted(error, n);
      }
      hooks.onRetry?.(error, n, delayMs);
      await sleep(delayMs);
    }
  }
}
