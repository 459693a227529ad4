/**
 * One HTTP attempt: POST the event, signed the Standard Webhooks way (webhook-id = the event id,
 * webhook-timestamp, webhook-signature = v1,<base64 HMAC-SHA256 of "id.timestamp.body">), within
 * a bounded time; any 2xx acknowledges. Redirects are not followed (a 3xx is a failure).
 */
import { Webhook } from 'standardwebhooks';

export const ATTEMPT_RESULTS = ['success', 'http_error', 'timeout', 'network', 'refused'] as const;
export type AttemptResult = (typeof ATTEMPT_RESULTS)[number];

export interface AttemptOutcome {
  result: AttemptResult;
  status: number | null;
  error: string | null;
}

export async function sendSigned(url: string, signer: Webhook, eventId: string, body: string, timeoutMs: number): Promise<AttemptOutcome> {
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'wallet-service-webhooks/1',
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': '',
  };
  headers['webhook-signature'] = signer.sign(eventId, new Date(Number(headers['webhook-timestamp']) * 1000), body);
  try {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { result: 'success', status: res.status, error: null };
    return { result: 'http_error', status: res.status, error: `HTTP ${res.status}` };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { result: 'timeout', status: null, error: `no answer within ${timeoutMs} ms` };
    return { result: 'network', status: null, error: e.cause?.code ?? e.cause?.message ?? e.message };
  }
}
