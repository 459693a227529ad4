/**
 * Outbox and webhook metrics, on the service registry: outbox lag (age of the oldest event a
 * subscription still waits for), pending deliveries, deliveries by final outcome, attempts by result.
 * Gauges aggregate with max across cluster workers (each measures the same database).
 */
import client from 'prom-client';
import type { DispatcherHooks } from './webhook-dispatcher.js';
import type { OutboxLag } from './webhook-repository.js';
import { ATTEMPT_RESULTS, type AttemptResult } from './webhook-sender.js';

export class WebhookMetrics implements DispatcherHooks {
  private readonly attempts: client.Counter<'result'>;
  private readonly deliveries: client.Counter<'outcome'>;
  private readonly lag: client.Gauge;
  private readonly pending: client.Gauge;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.attempts = new client.Counter({ name: 'webhook_attempts_total', help: 'Webhook delivery attempts by result', labelNames: ['result'], registers });
    for (const result of ATTEMPT_RESULTS) this.attempts.inc({ result }, 0);
    this.deliveries = new client.Counter({ name: 'webhook_deliveries_total',
      help: 'Webhook deliveries finished: delivered (2xx) or failed (retry window exhausted)', labelNames: ['outcome'], registers });
    for (const outcome of ['delivered', 'failed']) this.deliveries.inc({ outcome }, 0);
    this.lag = new client.Gauge({ name: 'events_outbox_lag_seconds', aggregator: 'max',
      help: 'Age of the oldest event a webhook subscription still waits for (0: none); measured every WEBHOOK_LAG_INTERVAL_MS', registers });
    this.pending = new client.Gauge({ name: 'webhook_deliveries_pending', aggregator: 'max',
      help: 'Events waiting in the webhook subscriptions\' wallet queues (not yet delivered or failed)', registers });
  }

  onAttempt(result: AttemptResult): void {
    this.attempts.inc({ result });
  }

  onDelivery(outcome: 'delivered' | 'failed'): void {
    this.deliveries.inc({ outcome });
  }

  onLag(lag: OutboxLag): void {
    this.lag.set(lag.lagSeconds);
    this.pending.set(lag.pending);
  }
}
