/**
 * The HTTP limits on a real listening socket: oversized headers, slow clients (slowloris), idle
 * keep-alive connections, malformed HTTP, smuggling-shaped framing and oversized bodies are all
 * cut off with a `{"detail"}` answer (or a close), and the server keeps serving. The timeouts are
 * set small here; the assertions wait for the close with a generous bound, never for a duration.
 */
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWallet, useTestApp } from '../support/test-app.js';
import { answerProblems } from './hostile-input.js';

let port: number;
let walletId: string;

const limits = {
  maxHeaderSizeBytes: 8192,
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 300,
  socketTimeoutMs: 5000,
  timeoutCheckIntervalMs: 50,
};

const t = useTestApp({ http: limits, bodyLimitBytes: 4096 });
beforeAll(async () => {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
  walletId = await createWallet(t.app);
});

interface RawExchange {
  /** Everything the server sent before closing (or before the bound). */
  text: string;
  closed: boolean;
}

/** Writes `parts` (one per tick), then reads until the server closes or `boundMs` passes. */
function raw(parts: (string | Buffer)[], boundMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), boundMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

function parse(exchange: RawExchange): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = exchange.text.split('\r\n\r\n', 2);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
  }));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function expectDetailAnswer(exchange: RawExchange, status: number): void {
  const res = parse(exchange);
  expect(res.status).toBe(status);
  expect(answerProblems({ statusCode: res.status, headers: res.headers, body: res.body }, 'POST')).toEqual([]);
}

async function stillServes(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/wallets/${walletId}`, { headers: t.authHeaders });
  expect(res.status).toBe(200);
}

// Tables of requests are built before the app exists: those that need the key or the wallet are thunks.
const authLine = () => Object.entries(t.authHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join('');
const operationHead = (extra = '') => `POST /api/v1/wallets/${walletId}/operation HTTP/1.1\r\nHost: x\r\n${authLine()}${extra}`;

describe('header limits', () => {
  it('headers over HTTP_MAX_HEADER_SIZE_BYTES: 431 with detail, connection closed', async () => {
    const exchange = await raw([`${operationHead()}X-Big: ${'a'.repeat(limits.maxHeaderSizeBytes)}\r\n\r\n`]);
    expect(exchange.closed).toBe(true);
    expectDetailAnswer(exchange, 431);
    await stillServes();
  });

  it('a URL longer than the header limit: 431 with detail', async () => {
    const exchange = await raw([`GET /api/v1/wallets/${'w'.repeat(limits.maxHeaderSizeBytes)} HTTP/1.1\r\nHost: x\r\n\r\n`]);
    expectDetailAnswer(exchange, 431);
  });

  it('thousands of small headers: 431 with detail', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const exchange = await raw([`${operationHead()}${many}\r\n`]);
    expectDetailAnswer(exchange, 431);
  });

  it('an Idempotency-Key over 255 characters: 422 in FastAPI shape, nothing applied', async () => {
    const body = '{"operation_type":"DEPOSIT","amount":"1.00"}';
    const exchange = await raw([`${operationHead(`Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`)}` +
      `Idempotency-Key: ${'k'.repeat(256)}\r\nConnection: close\r\n\r\n${body}`]);
    expectDetailAnswer(exchange, 422);
    expect(JSON.parse(parse(exchange).body).detail[0].loc).toEqual(['header', 'idempotency-key']);
    const wallet = await (await fetch(`http://127.0.0.1:${port}/api/v1/wallets/${walletId}`, { headers: t.authHeaders })).json() as { balance: string };
    expect(wallet.balance).toBe('0.00');
  });
});

describe('slow and idle clients', () => {
  it('slowloris (headers never finish): 408 with detail and closed', async () => {
    const exchange = await raw([operationHead(), 'X-Slow: 1\r\n']);
    expect(exchange.closed).toBe(true);
    expectDetailAnswer(exchange, 408);
    await stillServes();
  });

  it('a body that never finishes: the connection is closed, nothing applied', async () => {
    const exchange = await raw([`${operationHead('Content-Type: application/json\r\nContent-Length: 200\r\n')}\r\n{"operation_type":`]);
    expect(exchange.closed).toBe(true);
    if (exchange.text !== '') expectDetailAnswer(exchange, 408);
    const wallet = await (await fetch(`http://127.0.0.1:${port}/api/v1/wallets/${walletId}`, { headers: t.authHeaders })).json() as { balance: string };
    expect(wallet.balance).toBe('0.00');
  });

  it('an idle keep-alive connection is closed by the server', async () => {
    const exchange = await raw([`GET /health HTTP/1.1\r\nHost: x\r\n\r\n`]);
    expect(exchange.closed).toBe(true);
    expect(parse(exchange).status).toBe(200);
  });
});

describe('malformed HTTP and framing', () => {
  // Thunks: the key (and the wallet) exist only once the app is up, after this table is built; without
  // the key a request is answered 401 before its body is read, and the framing error is never reached.
  it.each([
    ['garbage request line', () => 'HELLO THERE\r\n\r\n'],
    ['a bare LF request', () => 'GET /health HTTP/1.1\nHost: x\n\n\u0000\u0001'],
    ['Content-Length and Transfer-Encoding together', () =>
      `${operationHead('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n')}\r\n0\r\n\r\n`],
    ['two different Content-Lengths', () => `${operationHead('Content-Length: 4\r\nContent-Length: 5\r\n')}\r\nabcd`],
    ['a negative Content-Length', () => `${operationHead('Content-Length: -1\r\n')}\r\n`],
    ['an invalid chunk size', () => `${operationHead('Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n')}\r\nZZ\r\n{}\r\n0\r\n\r\n`],
    ['a NUL in a header', () => `${operationHead('X-A: a\u0000b\r\n')}\r\n`],
  ])('%s: 400 with detail', async (_name, request) => {
    const exchange = await raw([request()]);
    expectDetailAnswer(exchange, 400);
    await stillServes();
  });

  it('a chunked body over the limit: 413 with detail', async () => {
    const chunk = 'a'.repeat(1000);
    const chunks = Array.from({ length: 8 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const exchange = await raw([
      `${operationHead('Transfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n')}\r\n`,
      ...chunks, '0\r\n\r\n']);
    expectDetailAnswer(exchange, 413);
  });

  it('a Content-Length above the limit is refused before the body is read: 413', async () => {
    const exchange = await raw([`${operationHead('Content-Type: application/json\r\nContent-Length: 99999999\r\nConnection: close\r\n')}\r\n{`]);
    expectDetailAnswer(exchange, 413);
  });
});
