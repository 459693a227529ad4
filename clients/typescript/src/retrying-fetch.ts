/**
 * The fetch the generated client sends through: every POST gets an Idempotency-Key (unless the
 * caller gave one), and a request is retried with the same key after a network error or a 5xx,
 * bounded, with exponential backoff and full jitter, waiting at least what Retry-After asks.
 * Safe because the service applies a keyed command once: a retry of one that was applied unheard
 * returns the first outcome. A request the service cannot deduplicate (creating a wallet or a
 * webhook) is retried only on 503, which says nothing was done.
 */
import { retryAfterSeconds } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included (1: no retry). */
  attemptsMax: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After asking for longer than this ends the retries (the answer is returned). */
  retryAfterMaxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attemptsMax: 4, baseDelayMs: 200, maxDelayMs: 5000, retryAfterMaxMs: 30_000 };

/** POST routes whose requests the service does not deduplicate by Idempotency-Key. */
const NOT_DEDUPLICATED = new Set(['/api/v1/wallets', '/api/v1/webhooks']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newKey = (): string => globalThis.crypto.randomUUID();

/** Requests the middleware marked as not deduplicated by the service (see NOT_DEDUPLICATED). */
const notDeduplicated = new WeakSet<Request>();

/** openapi-fetch middleware: adds the Idempotency-Key to POSTs and marks the ones the service does not deduplicate. */
export const idempotencyMiddleware = {
  onRequest({ request, schemaPath }: { request: Request; schemaPath: string }): Request {
    if (request.method === 'POST' && !request.headers.has('idempotency-key')) request.headers.set('idempotency-key', newKey());
    if (NOT_DEDUPLICATED.has(schemaPath)) notDeduplicated.add(request);
    return request;
  },
};

export function retryingFetch(send: typeof fetch, options: RetryOptions): (request: Request) => Promise<Response> {
  return async (request: Request) => {
    const deduplicated = request.method !== 'POST' || !notDeduplicated.has(request);
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= options.attemptsMax;
      let response: Response;
      try {
        response = await send(last ? request : request.clone());
      } catch (error) {
        if (last || !deduplicated) throw error;
        await sleep(backoffMs(attempt, options));
        continue;
      }
      const retryable = response.status === 503 || (deduplicated && response.status >= 500);
      if (last || !retryable) return response;
      const askedMs = (retryAfterSeconds(response.headers) ?? 0) * 1000;
      if (askedMs > options.retryAfterMaxMs) return response;
      await response.body?.cancel();
      await sleep(Math.max(askedMs, backoffMs(attempt, options)));
    }
  };
}

/** Exponential backoff with full jitter: a random wait up to base * 2^(attempt-1), capped. */
function backoffMs(attempt: number, options: RetryOptions): number {
  return Math.random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
}
