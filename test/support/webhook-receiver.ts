/**
 * A local webhook receiver (node:http) for tests and the benchmark: records every request it
 * acknowledges with a 2xx, and can be told to fail, time out or answer slowly.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** What to do with one request: answer `status` after `delayMs`, or (hang) never answer. */
export type Behaviour = { status: number; delayMs?: number } | { hang: true };

export interface Receiver {
  url: string;
  /** Requests answered 2xx, in arrival order. */
  acknowledged: Received[];
  /** Every request, whatever its answer, in arrival order. */
  received: Received[];
  requests: number;
  close(): Promise<void>;
}

export async function startReceiver(behave: (req: Received) => Behaviour = () => ({ status: 200 })): Promise<Receiver> {
  const acknowledged: Received[] = [];
  const received: Received[] = [];
  const receiver = { url: '', acknowledged, received, requests: 0, close: async () => undefined } as Receiver;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.requests++;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const got: Received = { headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(got);
      const b = behave(got);
      if ('hang' in b) return; // the sender's timeout ends it
      const answer = () => {
        if (b.status >= 200 && b.status < 300) acknowledged.push(got);
        res.writeHead(b.status).end();
      };
      if (b.delayMs) setTimeout(answer, b.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return receiver;
}
