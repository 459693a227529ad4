/**
 * The one bounded poll: calls `probe` until it returns a value other than undefined, or fails
 * with a message naming what was awaited and the bound. Used wherever a process or server has to
 * come up (PostgreSQL, PgBouncer, the app) or go away, instead of a sleep.
 */
import https from 'node:https';

export interface WaitOptions {
  /** What we wait for, as it reads in "<what>: not ready within N ms". */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Checked before each probe: a reason to give up at once (e.g. the process exited). */
  failFast?: () => string | undefined;
  /** Appended to the timeout message (e.g. the last log lines). */
  detail?: () => string;
}

export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, options: WaitOptions): Promise<T> {
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const failure = options.failFast?.();
    if (failure !== undefined) throw new Error(`${options.what}: ${failure}${suffix(options)}`);
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      throw new WaitTimeout(`${options.what}: not ready within ${options.timeoutMs} ms${suffix(options)}`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

function suffix(options: WaitOptions): string {
  const detail = options.detail?.().trim();
  return detail ? `:\n${detail}` : '';
}

/** A probe for waitFor: true once `url` answers 200 (each try bounded by `requestTimeoutMs`). */
export function httpOk(url: string, requestTimeoutMs = 2000): () => Promise<true | undefined> {
  return async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs) });
      await response.body?.cancel();
      return response.status === 200 ? true : undefined;
    } catch {
      return undefined; // not listening yet
    }
  };
}

/** The same over HTTPS, trusting only `ca` (PEM): a self-signed or test certificate, never the system store. */
export function httpsOk(url: string, ca: string, requestTimeoutMs = 2000): () => Promise<true | undefined> {
  return () => new Promise((resolve) => {
    const request = https.get(url, { ca, timeout: requestTimeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? true : undefined);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined)); // not listening yet
  });
}
