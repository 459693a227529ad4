/**
 * One POST of the fault load and its classification, and the keyed-retry loop around it: shared by
 * the deposits and withdrawals (load.ts) and the transfers and holds (transfer-hold-load.ts), which
 * differ only in the path, the body and which 200 statuses mean "applied".
 */
import { sleep } from '../src/lib/wait-for.js';
import type { Attempt, AttemptKind } from './attempt.js';

/** An attempt as the POST answered it: the body's status and the body itself too (200 answers). */
export interface PostedAttempt extends Omit<Attempt, 'balance' | 'resolved'> {
  bodyStatus?: string;
  body?: Record<string, unknown>;
}

export interface App {
  index: number;
  url: string;
}

/** The one sleep (src/lib/wait-for.ts), for the load loops. */
export { sleep };

/**
 * POSTs `payload` to `path` and classifies the answer: a 200 whose status is in `applied` is
 * SUCCESS, FAILED and PENDING are themselves, 400 and 503 by code, no answer NO_RESPONSE, anything
 * else UNEXPECTED.
 */
export async function postAttempt(app: App, path: string, payload: Record<string, unknown>, key: string | null, timeoutMs: number,
  applied: ReadonlySet<string>): Promise<PostedAttempt> {
  const startedAt = performance.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers['idempotency-key'] = key;
  const base = { app: app.index, startedAt, replayed: false };
  try {
    const res = await fetch(`${app.url}${path}`, { method: 'POST', headers, body: JSON.stringify(payload), signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const endedAt = performance.now();
    let body: Record<string, unknown> = {};
    try { body = JSON.parse(text) as Record<string, unknown>; } catch { /* kept as UNEXPECTED below */ }
    const replayed = res.headers.get('idempotency-replayed') === 'true';
    const detail = typeof body.detail === 'string' ? body.detail : text.slice(0, 200);
    const bodyStatus = typeof body.status === 'string' ? body.status : undefined;
    if (res.status === 200 && bodyStatus !== undefined && (applied.has(bodyStatus) || bodyStatus === 'FAILED' || bodyStatus === 'PENDING')) {
      const kind: AttemptKind = applied.has(bodyStatus) ? 'SUCCESS' : bodyStatus as 'FAILED' | 'PENDING';
      return { ...base, kind, status: 200, operationId: String(body.id), bodyStatus, body, replayed, detail, endedAt };
    }
    if (res.status === 400) return { ...base, kind: 'REJECTED_400', status: 400, replayed, detail, endedAt };
    if (res.status === 503) return { ...base, kind: 'OVERLOADED_503', status: 503, replayed, detail, endedAt };
    return { ...base, kind: 'UNEXPECTED', status: res.status, replayed, detail, endedAt };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ...base, kind: 'NO_RESPONSE', status: 0, detail: cause?.code ?? cause?.message ?? (error as Error).name, endedAt: performance.now() };
  }
}

/**
 * Sends until the answer is definite (SUCCESS, 400, UNEXPECTED); a request without a key only once,
 * one with a key up to `attemptsMax` times, each on another live app when there is one. No app
 * alive at all is an attempt that reached nobody, bounded like any other.
 */
export async function sendWithRetries<A extends { kind: AttemptKind; app: number }>(o: {
  key: string | null; attempts: A[]; attemptsMax: number; pickApp(exclude?: number): App | undefined; send(app: App): Promise<A>;
  noApp(base: PostedAttempt): A;
}): Promise<void> {
  let lastApp: number | undefined;
  for (let n = 1; ; n++) {
    const app = o.pickApp(lastApp);
    const attempt = app ? await o.send(app)
      : o.noApp({ app: -1, kind: 'NO_RESPONSE', status: 0, replayed: false, detail: 'no live app', startedAt: performance.now(), endedAt: performance.now() });
    o.attempts.push(attempt);
    lastApp = app?.index;
    const definite = attempt.kind === 'SUCCESS' || attempt.kind === 'REJECTED_400' || attempt.kind === 'UNEXPECTED';
    if (o.key === null || definite || n >= o.attemptsMax) return;
    await sleep(100 * n + Math.random() * 100);
  }
}
