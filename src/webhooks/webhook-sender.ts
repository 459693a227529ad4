/**
 * One HTTP attempt: POST the event, signed the Standard Webhooks way (webhook-id = the event id,
 * webhook-timestamp, webhook-signature = v1,<base64 HMAC-SHA256 of "id.timestamp.body">), within
 * a bounded time; any 2xx acknowledges. Redirects are not followed (a 3xx is a failure).
 * node:http(s) with keep-alive agents rather than fetch: a wallet's events go out one at a time,
 * so the cost of one request bounds its delivery rate, and fetch cost about five times as much
 * per request here (0.35-0.6 ms against 1.8-3 ms, sequential requests to a local receiver).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { guardedLookup, hostOf, literalProblem, PRIVATE_ADDRESS_CODE } from './webhook-url.js';

/**
 * Signs the Standard Webhooks way: v1,<base64 HMAC-SHA256 over "id.timestamp.body"> with the secret's
 * key (the base64 after `whsec_`). The `standardwebhooks` package signs with a JavaScript SHA-256;
 * node:crypto's is native and gives the same bytes (the tests verify every request with the
 * package's verifier).
 */
export class Signer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
    if (this.key.length === 0) throw new Error('empty webhook secret');
  }

  sign(id: string, timestampSeconds: number, body: string): string {
    return `v1,${createHmac('sha256', this.key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
  }
}

export const ATTEMPT_RESULTS = ['success', 'http_error', 'timeout', 'network', 'refused'] as const;
export type AttemptResult = (typeof ATTEMPT_RESULTS)[number];

export interface AttemptOutcome {
  result: AttemptResult;
  status: number | null;
  /** What the tenant reads in the deliveries list (last_error). */
  error: string | null;
  /** `refused`: the address rule, for the operator's log only. */
  refusedBy?: string;
}

/**
 * What the tenant reads for a refused address: the error of an unreachable host, like any other
 * network failure. The rule itself would tell a tenant (who controls its DNS) which internal
 * addresses exist and answer; the operator sees it in the metric and the log.
 */
export const REFUSED_ERROR = 'EHOSTUNREACH';
const refusedOutcome = (rule: string): AttemptOutcome => ({ result: 'refused', status: null, error: REFUSED_ERROR, refusedBy: rule });

/** Idle keep-alive connections kept per endpoint; in use at once, at most WEBHOOK_CONCURRENCY_MAX anyway. */
const idleSocketsMax = 16;
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxFreeSockets: idleSocketsMax }),
  'https:': new https.Agent({ keepAlive: true, maxFreeSockets: idleSocketsMax }),
};

class AttemptTimeout extends Error {}

export function sendSigned(url: string, signer: Signer, eventId: string, body: string, timeoutMs: number,
  allowPrivateNetworks: boolean, extraHeaders: Record<string, string> = {}): Promise<AttemptOutcome> {
  const target = new URL(url);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'wallet-service-webhooks/1',
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signer.sign(eventId, timestamp, body),
    ...extraHeaders, // traceparent, with tracing on
  };
  const transport = target.protocol === 'https:' ? https : http;
  // node:net connects to an IP literal without calling `lookup`: the literal is judged here, by the same rule.
  const literalRefused = allowPrivateNetworks ? null : literalProblem(hostOf(target));
  if (literalRefused) return Promise.resolve(refusedOutcome(literalRefused));
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = transport.request(target, { method: 'POST', headers, agent: agents[target.protocol as 'http:' | 'https:'],
      ...(allowPrivateNetworks ? {} : { lookup: guardedLookup }) }, (res) => {
      const status = res.statusCode ?? 0;
      // Read the (ignored) answer to its end, so the connection can serve the next event.
      res.resume();
      res.on('end', () => settle(status >= 200 && status < 300
        ? { result: 'success', status, error: null }
        : { result: 'http_error', status, error: `HTTP ${status}` }));
      res.on('error', (error) => settle({ result: 'network', status, error: error.message }));
    });
    const timer = setTimeout(() => req.destroy(new AttemptTimeout()), timeoutMs);
    req.on('error', (error: Error & { code?: string }) => settle(error instanceof AttemptTimeout
      ? { result: 'timeout', status: null, error: `no answer within ${timeoutMs} ms` }
      : error.code === PRIVATE_ADDRESS_CODE ? refusedOutcome(error.message)
        : { result: 'network', status: null, error: error.code ?? error.message }));
    req.end(body);
  });
}
