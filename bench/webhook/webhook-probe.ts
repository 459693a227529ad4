/**
 * --webhook: a local receiver (node:http, answers 200 at once) subscribed to every event type of the
 * bench's tenant, and the delivery lag of each scenario run: receipt time minus the event's
 * created_at, while the load runs and until the run's events have all arrived.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { EVENT_TYPES } from '../../src/events/event-names.js';
import type { WebhookFigures } from '../report/types.js';

/** How long the probe waits, after a run, for its events to arrive. */
const drainBoundMs = 120_000;

export class WebhookProbe {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly received: Map<string, { at: number; lagMs: number }>,
  ) {}

  static async start(): Promise<WebhookProbe> {
    const received = new Map<string, { at: number; lagMs: number }>();
    const server = createServer((req, res) => {
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
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WebhookProbe(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/bench-hook`, received);
  }

  /** Subscribes the receiver through the API (the key needs `admin`). */
  async subscribe(baseUrl: string, headers: Record<string, string>): Promise<void> {
    const res = await fetch(`${baseUrl}/api/v1/webhooks`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ url: this.url, event_types: EVENT_TYPES, description: 'npm run bench -- --webhook' }),
    });
    if (res.status !== 200) throw new Error(`webhook subscription refused: ${res.status} ${await res.text()}`);
  }

  /** The figures of the run whose load went from `startedAt` to `endedAt`: waits (bounded) for its events. */
  async figures(db: pg.Pool, startedAt: number, endedAt: number): Promise<WebhookFigures> {
    const ids = (await db.query<{ id: string }>('SELECT id FROM events WHERE recorded_at >= $1 AND recorded_at <= $2',
      [new Date(startedAt), new Date()])).rows.map((r) => r.id);
    const deadline = Date.now() + drainBoundMs;
    let drainMs: number | null = null;
    while (Date.now() < deadline) {
      if (ids.every((id) => this.received.has(id))) {
        drainMs = Math.max(0, Math.max(...ids.map((id) => this.received.get(id)!.at), endedAt) - endedAt);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lags = ids.map((id) => this.received.get(id)?.lagMs).filter((l): l is number => l !== undefined).sort((a, b) => a - b);
    const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? 0;
    return {
      events: ids.length,
      deliveredDuringLoad: ids.filter((id) => (this.received.get(id)?.at ?? Infinity) <= endedAt).length,
      lagMs: { p50: at(0.5), p99: at(0.99), max: lags[lags.length - 1] ?? 0 },
      drainMs,
    };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
