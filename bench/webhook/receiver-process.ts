/**
 * The --webhook receiver, in its own process (as a real receiver is another system): node:http,
 * answers 200 at once, records each event's first receipt (time, and the lag from the event's
 * created_at). Prints "listening <port>"; answers the parent's {ids, endedAt, boundMs} message with
 * the figures of those events once they have all arrived, or when the bound has passed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookFigures } from '../report/types.js';

const received = new Map<string, { at: number; lagMs: number }>();
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    try {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; created_at: string };
      if (!received.has(event.id)) received.set(event.id, { at, lagMs: at - Date.parse(event.created_at) });
    } catch { /* not an event: still acknowledged */ }
    res.writeHead(200).end();
  });
});
server.keepAliveTimeout = 120_000;

async function figures(ids: string[], endedAt: number, boundMs: number): Promise<WebhookFigures> {
  const deadline = Date.now() + boundMs;
  let drainMs: number | null = null;
  while (Date.now() < deadline) {
    if (ids.every((id) => received.has(id))) {
      drainMs = Math.max(0, Math.max(...ids.map((id) => received.get(id)!.at), endedAt) - endedAt);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const lags = ids.map((id) => received.get(id)?.lagMs).filter((l): l is number => l !== undefined).sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? 0;
  return {
    events: ids.length,
    deliveredDuringLoad: ids.filter((id) => (received.get(id)?.at ?? Infinity) <= endedAt).length,
    lagMs: { p50: at(0.5), p99: at(0.99), max: lags[lags.length - 1] ?? 0 },
    drainMs,
    requests,
  };
}

process.on('message', (m: { ids: string[]; endedAt: number; boundMs: number }) => {
  void figures(m.ids, m.endedAt, m.boundMs).then((f) => {
    requests = 0; // the next run counts its own
    process.send!(f);
  });
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
