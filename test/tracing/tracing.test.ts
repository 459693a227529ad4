/**
 * OpenTelemetry tracing against a local OTLP/HTTP receiver (no collector): the server span per
 * request, named by its route template, with the outcome; one batch span per engine batch linked to
 * every request span it served; PostgreSQL spans under them; an incoming traceparent continued; the
 * trace id in the access log line; webhook attempts sending their traceparent; protobuf by default.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { withClientSpan } from '../../src/tracing/client-span.js';
import { loadTracing, type Tracing } from '../../src/tracing/tracing.js';
import { sendSigned, Signer } from '../../src/webhooks/webhook-sender.js';
import { createWallet, operate, useTestApp } from '../support/test-app.js';
import { type Receiver, startReceiver } from '../support/webhook-receiver.js';

interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
}

const settings = loadConfig({}).tracing;
let receiver: Receiver;
let tracing: Tracing;
const logLines: string[] = [];
const logStream = new Writable({ write(chunk: Buffer, _e, done) { logLines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });

beforeAll(async () => {
  receiver = await startReceiver();
  tracing = (await loadTracing({ ...settings, tracesEndpoint: receiver.url, protocol: 'http/json', serviceName: 'wallet-test' }))!;
});
afterAll(async () => {
  await tracing.shutdown();
  await receiver.close();
});

const t = useTestApp({ logLevel: 'info' }, { tracing: () => tracing, logStream });

/** Every span exported so far (after a flush), from the OTLP/JSON requests the receiver got. */
async function exported(): Promise<OtlpSpan[]> {
  await tracing.flush();
  return receiver.received.flatMap((r) => (JSON.parse(r.body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] })
    .resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}
const attr = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('tracing', () => {
  it('continues an incoming traceparent: a server span named by the route template, with status and outcome', async () => {
    const walletId = await createWallet(t.app);
    const [traceId, parentId] = [hex(16), hex(8)];
    const res = await operate(t.app, walletId, { operation_type: 'DEPOSIT', amount: '10.00' }, { traceparent: `00-${traceId}-${parentId}-01` });
    expect(res.statusCode).toBe(200);
    const span = (await exported()).find((s) => s.traceId === traceId && s.kind === 2)!;
    expect(span).toMatchObject({ name: 'POST /api/v1/wallets/{wallet_id}/operation', parentSpanId: parentId });
    expect(span.name).not.toContain(walletId);
    expect(attr(span, 'http.route')).toBe('/api/v1/wallets/{wallet_id}/operation');
    expect(attr(span, 'http.request.method')).toBe('POST');
    expect(Number(attr(span, 'http.response.status_code'))).toBe(200);
    expect(attr(span, 'wallet_service.outcome')).toBe('SUCCESS');
    const line = logLines.map((l) => JSON.parse(l) as { msg: string; traceId?: string; url?: string })
      .find((l) => l.msg === 'request' && l.traceId === traceId);
    expect(line?.url).toBe(`/api/v1/wallets/${walletId}/operation`);
  });

  it('links each batch span to every request span it served, with the batch size; PostgreSQL spans beneath', async () => {
    const walletId = await createWallet(t.app);
    const traceIds = Array.from({ length: 12 }, () => hex(16));
    const answers = await Promise.all(traceIds.map((id) =>
      operate(t.app, walletId, { operation_type: 'DEPOSIT', amount: '1.00' }, { traceparent: `00-${id}-${hex(8)}-01` })));
    expect(answers.map((a) => a.json<{ status: string }>().status)).toEqual(Array(12).fill('SUCCESS'));
    const spans = await exported();
    const requestSpans = spans.filter((s) => traceIds.includes(s.traceId) && s.kind === 2);
    expect(requestSpans).toHaveLength(12);
    const batches = spans.filter((s) => s.name === 'ledger batch' && s.links?.some((l) => traceIds.includes(l.traceId)));
    const linked = batches.flatMap((b) => b.links!.map((l) => l.spanId));
    expect(linked.sort()).toEqual(requestSpans.map((s) => s.spanId).sort()); // each request in exactly one batch
    for (const batch of batches) {
      expect(Number(attr(batch, 'ledger.batch.size'))).toBe(batch.links!.length);
      expect(batch.parentSpanId ?? '').toBe(''); // a trace of its own
      const queries = spans.filter((s) => s.parentSpanId === batch.spanId);
      expect(queries.length).toBeGreaterThan(0);
      expect(queries.every((q) => q.kind === 3 && attr(q, 'db.system.name') === 'postgresql')).toBe(true);
      expect(queries.some((q) => attr(q, 'db.query.text') !== undefined)).toBe(false); // the script inlines values: no text
    }
  });

  it('records a parameterized read as a PostgreSQL span of the request', async () => {
    const walletId = await createWallet(t.app);
    const traceId = hex(16);
    await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${walletId}`, headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
    const spans = (await exported()).filter((s) => s.traceId === traceId);
    const server = spans.find((s) => s.kind === 2)!;
    expect(server.name).toBe('GET /api/v1/wallets/{wallet_id}');
    const select = spans.find((s) => s.parentSpanId === server.spanId && s.name === 'SELECT');
    expect(attr(select!, 'db.query.text')).toMatch(/^select/i);
    expect(String(attr(select!, 'db.query.text'))).not.toContain(walletId); // a parameter, not text
  });

  it('sends a traceparent with a webhook attempt and records it as a client span', async () => {
    const hook = await startReceiver();
    try {
      const outcome = await withClientSpan(tracing, 'webhook POST', { 'http.request.method': 'POST' }, (headers) =>
        sendSigned(hook.url, new Signer(`whsec_${randomBytes(24).toString('base64')}`), 'evt-1', '{}', 2000, true, headers));
      expect(outcome.result).toBe('success');
      const traceparent = hook.received[0]!.headers.traceparent!;
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const [, traceId, spanId] = traceparent.split('-');
      const span = (await exported()).find((s) => s.spanId === spanId)!;
      expect(span).toMatchObject({ traceId, name: 'webhook POST', kind: 3 });
      expect(Number(attr(span, 'http.response.status_code'))).toBe(200);
    } finally {
      await hook.close();
    }
  });
});

describe('loadTracing', () => {
  it('is off, loading nothing, when no endpoint is set; protobuf by default', async () => {
    expect(await loadTracing(settings)).toBeNull();
    const sink = await startReceiver();
    const proto = (await loadTracing({ ...settings, endpoint: sink.url.replace(/\/hook$/, '') }))!;
    try {
      proto.tracer.startSpan('probe').end();
      await proto.flush();
      expect(sink.received).toHaveLength(1);
      expect(sink.received[0]!.headers['content-type']).toBe('application/x-protobuf');
    } finally {
      await proto.shutdown();
      await sink.close();
    }
  });

  it('refuses a sampler ratio outside 0 to 1', async () => {
    await expect(loadTracing({ ...settings, endpoint: 'http://127.0.0.1:9', sampler: 'traceidratio', samplerArg: '2' }))
      .rejects.toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });
});
