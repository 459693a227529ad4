/**
 * Delivers webhook events from inside each app process. One loop: fan new events out to their
 * subscriptions' delivery queues, claim runs of due deliveries (bounded by WEBHOOK_CONCURRENCY_MAX
 * runs in flight), send each run's events in order, record the outcomes; now and then measure the
 * outbox lag and prune old events. Every step is one statement (webhook-repository.ts), so any
 * number of processes share the work through PgBouncer. stop() ends the loop and waits for the
 * runs in flight (each bounded by the attempt timeout), so a clean shutdown sends no duplicates.
 */
import { Webhook } from 'standardwebhooks';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import { eventView } from '../events/event-view.js';
import type { Logger } from '../lib/logger.js';
import * as repo from './webhook-repository.js';
import type { SecretBox } from './secret-box.js';
import { type AttemptResult, sendSigned } from './webhook-sender.js';
import { addressProblem } from './webhook-url.js';

/** After a failed step, the dispatcher waits up to this long before the next. */
const errorBackoffMaxMs = 5000;

/** The dispatcher's settings: config.webhooks' delivery ones and config.events' retention (src/config.ts documents each). */
export type DispatcherOptions = Pick<Config['webhooks'], 'pollIntervalMs' | 'concurrencyMax' | 'attemptTimeoutMs' | 'retryBaseDelayMs'
  | 'retryMaxDelayMs' | 'retryWindowMs' | 'pauseAfterFailures' | 'fanOutBatchMax' | 'runMax' | 'allowPrivateNetworks' | 'lagIntervalMs'>
  & Pick<Config['events'], 'retentionHours' | 'pruneIntervalMs' | 'pruneRowsMax'>;

export interface DispatcherHooks {
  onAttempt(result: AttemptResult): void;
  onDelivery(outcome: 'delivered' | 'failed'): void;
  onLag(lag: repo.OutboxLag): void;
}

export class WebhookDispatcher {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly runs = new Set<Promise<void>>();
  private readonly signers = new Map<string, Webhook>();
  private lastLagAt = 0;
  private lastPruneAt = Date.now();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly options: DispatcherOptions,
    private readonly hooks: DispatcherHooks,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.runs]);
  }

  /** A lease outlives a run: a run stops starting attempts after one attempt timeout, and the last may take another. */
  private get leaseMs(): number {
    return 2 * this.options.attemptTimeoutMs + 1000;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let busy = false;
      try {
        busy = await this.step();
        failures = 0;
      } catch (error) {
        // The database away: back off (up to errorBackoffMaxMs), one warning per failure, not a storm.
        failures++;
        this.log.warn({ reason: (error as Error).message, failures }, 'webhook dispatcher step failed; retrying');
      }
      if (this.stopped) break;
      if (!busy) {
        const waitMs = failures === 0 ? this.options.pollIntervalMs
          : Math.min(errorBackoffMaxMs, this.options.pollIntervalMs * 2 ** Math.min(failures, 10));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wake = () => { clearTimeout(timer); resolve(); };
        });
        this.wake = null;
      }
    }
  }

  /** One pass; true when there may be more to do at once. */
  private async step(): Promise<boolean> {
    let scanned = 0;
    for (const id of await repo.subscriptionIds(this.db)) {
      scanned += await repo.fanOut(this.db, id, this.options.fanOutBatchMax);
    }
    let claimed = 0;
    const free = this.options.concurrencyMax - this.runs.size;
    if (free > 0) {
      const rows = await repo.claimRuns(this.db, free, this.options.runMax, this.leaseMs);
      for (const group of groupRuns(rows)) {
        claimed++;
        const run: Promise<void> = this.deliver(group)
          .catch((error: unknown) => this.log.warn({ reason: (error as Error).message }, 'webhook run failed; its lease will expire'))
          .finally(() => {
            this.runs.delete(run);
            this.wake?.(); // a slot is free and the queue's next event may be due
          });
        this.runs.add(run);
      }
    }
    const now = Date.now();
    if (now - this.lastLagAt >= this.options.lagIntervalMs) {
      this.lastLagAt = now;
      this.hooks.onLag(await repo.outboxLag(this.db));
    }
    if (now - this.lastPruneAt >= this.options.pruneIntervalMs) {
      this.lastPruneAt = now;
      const pruned = await repo.pruneEvents(this.db, this.options.retentionHours, this.options.pruneRowsMax);
      if (pruned.events + pruned.deliveries > 0) this.log.info(pruned, 'pruned old events and deliveries');
    }
    return scanned >= this.options.fanOutBatchMax || (claimed > 0 && claimed >= free);
  }

  private signer(row: repo.ClaimedDelivery): Webhook {
    const cacheKey = `${row.subscription_id}\n${row.secret}`;
    let signer = this.signers.get(cacheKey);
    if (!signer) {
      signer = new Webhook(this.secrets.open(row.secret, row.subscription_id));
      if (this.signers.size > 1000) this.signers.clear();
      this.signers.set(cacheKey, signer);
    }
    return signer;
  }

  /** One run: a (subscription, wallet) queue's next events, in order, stopping at the first failure. */
  private async deliver(run: repo.ClaimedDelivery[]): Promise<void> {
    const head = run[0]!;
    const started = Date.now();
    const delivered: { position: string; status: number }[] = [];
    let failed: { row: repo.ClaimedDelivery; status: number | null; error: string } | null = null;
    let next = 0;
    const refused = await addressProblem(head.url, this.options.allowPrivateNetworks);
    if (refused) {
      this.hooks.onAttempt('refused');
      failed = { row: head, status: null, error: refused };
      next = 1;
    } else {
      const signer = this.signer(head);
      for (; next < run.length; next++) {
        // Do not start an attempt that could outlive the lease; stop too on shutdown.
        if (next > 0 && (this.stopped || Date.now() - started > this.options.attemptTimeoutMs)) break;
        const row = run[next]!;
        const outcome = await sendSigned(row.url, signer, row.id, JSON.stringify(eventView(row)), this.options.attemptTimeoutMs);
        this.hooks.onAttempt(outcome.result);
        if (outcome.result !== 'success') {
          failed = { row, status: outcome.status, error: outcome.error ?? outcome.result };
          next++;
          break;
        }
        delivered.push({ position: row.event_position, status: outcome.status! });
      }
    }
    if (delivered.length > 0) {
      const n = await repo.markDelivered(this.db, head.subscription_id, delivered.map((d) => d.position), delivered.map((d) => d.status));
      for (let i = 0; i < n; i++) this.hooks.onDelivery('delivered');
    }
    if (failed) {
      const delayMs = retryDelayMs(this.options, failed.row.attempts);
      const state = await repo.markAttemptFailed(this.db, failed.row, { status: failed.status, error: failed.error,
        delayMs, retryWindowMs: this.options.retryWindowMs, pauseAfter: this.options.pauseAfterFailures });
      if (state === 'failed') {
        this.hooks.onDelivery('failed');
        this.log.warn({ subscription: failed.row.subscription_id, event: failed.row.id, attempts: failed.row.attempts },
          'webhook delivery failed: retry window exhausted');
      }
    }
    await repo.releaseUnattempted(this.db, run.slice(next));
  }
}

/** Exponential, capped, with jitter: a random 50-100% of min(max, base * 2^(attempt-1)). */
export function retryDelayMs(o: Pick<DispatcherOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs'>, attempt: number,
  random: () => number = Math.random): number {
  const ceiling = Math.min(o.retryMaxDelayMs, o.retryBaseDelayMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Claimed rows, grouped by (subscription, wallet), each group in queue order. */
function groupRuns(rows: repo.ClaimedDelivery[]): repo.ClaimedDelivery[][] {
  const groups = new Map<string, repo.ClaimedDelivery[]>();
  for (const row of rows) {
    const key = `${row.subscription_id}/${row.wallet_id}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  for (const group of groups.values()) group.sort((a, b) => (BigInt(a.event_position) < BigInt(b.event_position) ? -1 : 1));
  return [...groups.values()];
}
