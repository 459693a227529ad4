/**
 * --webhook: a local receiver (bench/webhook/receiver-process.ts, its own process, so that its work
 * does not share the load generator's event loop) subscribed to every event type of the bench's
 * tenant, and the delivery lag of each scenario run: receipt time minus the event's created_at,
 * while the load runs and until the run's events have all arrived.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { EVENT_TYPES } from '../../src/ledger/event-names.js';
import type { WebhookFigures } from '../report/types.js';
import { announcedPort, stopChild } from '../target/child-port.js';

/** How long the probe waits, after a run, for its events to arrive. */
const drainBoundMs = 120_000;
const startBoundMs = 30_000;
const receiverPath = fileURLToPath(new URL('./receiver-process.ts', import.meta.url));

export class WebhookProbe {
  private constructor(private readonly child: ChildProcess, readonly url: string) {}

  static async start(): Promise<WebhookProbe> {
    const child = fork(receiverPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const port = await announcedPort(child, 'the webhook receiver', startBoundMs);
    return new WebhookProbe(child, `http://127.0.0.1:${port}/bench-hook`);
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
    const ids = (await db.query<{ id: string }>('SELECT id FROM event_log WHERE recorded_at >= $1 AND recorded_at <= $2',
      [new Date(startedAt), new Date()])).rows.map((r) => r.id);
    const answer = once(this.child, 'message') as Promise<[WebhookFigures]>;
    this.child.send({ ids, endedAt, boundMs: drainBoundMs });
    return (await answer)[0];
  }

  stop(): Promise<void> {
    return stopChild(this.child, 5000);
  }
}
