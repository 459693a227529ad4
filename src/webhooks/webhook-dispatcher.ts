/**
 * Delivers webhook events from inside each app process. One loop: fan new outbox rows out to their
 * subscriptions' wallet queues (one row per (subscription, wallet), changeset 017), claim due queues
 * (bounded by WEBHOOK_CONCURRENCY_MAX in flight), send each queue's next events in order, one at a
 * time, and record the outcome of the run in one statement; now and then measure the outbox lag and
 * prune old events. Every step is one statement (webhook-repository.ts), so any
 * number of processes share the work through PgBouncer. stop() ends the loop and waits for the
 * runs in flight (each bounded by the attempt timeout), so a clean shutdown sends no duplicates.
 */
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import type { Database } from '../ledger/tables.js';
import { eventView } from '../ledger/event-view.js';
import type { Logger } from '../lib/logger.js';
import { sleep } from '../lib/wait-for.js';
import * as repo from './webhook-repository.js';
import type { SecretBox } from './secret-box.js';
import { type AttemptResult, sendSigned, Signer } from './webhook-sender.js';
import { withClientSpan } from '../tracing/client-span.js';
import type { Tracing } from '../tracing/tracing.js';

/** After a failed step, the dispatcher waits up to this long before the next. */
const errorBackoffMaxMs = 5000;

/** The dispatcher's settings: config.webhooks' delivery ones and config.events' retention (src/config/ documents each). */
export type DispatcherOptions = Pick<Config['webhooks'], 'pollIntervalMs' | 'concurrencyMax' | 'attemptTimeoutMs' | 'retryBaseDelayMs'
  | 'retryMaxDelayMs' | 'retryWindowMs' | 'pauseAfterFailures' | 'fanOutBatchMax' | 'runMax' | 'allowPrivateNetworks' | 'lagIntervalMs'
  | 'yieldBusyPercent' | 'busyRateMax'>
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
  private readonly signers = new Map<string, Signer>();
  private lastLagAt = 0;
  private lastPruneAt = Date.now();
  private readonly pace: BusyPace;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly options: DispatcherOptions,
    private readonly hooks: DispatcherHooks,
    private readonly log: Logger,
    /** With tracing on, each attempt is a client span and sends its `traceparent`. */
    private readonly tracing: Tracing | null = null,
  ) {
    this.pace = new BusyPace(options.yieldBusyPercent / 100, options.busyRateMax);
  }

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
      for (const stream of await repo.claimStreams(this.db, free, this.leaseMs)) {
        claimed++;
        const run: Promise<void> = this.deliver(stream)
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

  private signer(stream: repo.ClaimedStream): Signer {
    const cacheKey = `${stream.subscription_id}\n${stream.secret}`;
    let signer = this.signers.get(cacheKey);
    if (!signer) {
      signer = new Signer(this.secrets.open(stream.secret, stream.subscription_id));
      if (this.signers.size > 1000) this.signers.clear();
      this.signers.set(cacheKey, signer);
    }
    return signer;
  }

  /**
   * One run on a claimed (subscription, wallet) queue: its next events in order, one at a time, each
   * sent only after the one before was acknowledged or given up; events of types the subscription
   * does not take are passed over. Stops at the first failed attempt, after one attempt timeout, or
   * on shutdown; then records where the queue stands.
   */
  private async deliver(stream: repo.ClaimedStream): Promise<void> {
    const started = Date.now();
    const events = await repo.readRun(this.db, stream, this.options.runMax);
    const types = new Set<string>(stream.event_types);
    const wanted = (type: string) => types.has(type) || types.has(repo.EVERY_TYPE);
    // Read to the end (fewer than runMax): every row up to the claim's head was read, if it still exists.
    const lastRead = events.at(-1)?.position;
    const seenHead = lastRead !== undefined && BigInt(lastRead) > BigInt(stream.head_position) ? lastRead : stream.head_position;
    const result: repo.RunResult = { done: null, more: events.length >= this.options.runMax, seenHead, finished: [], retry: null,
      anyDelivered: false, failedAttempt: false, pauseAfter: this.options.pauseAfterFailures };
    // The queue's next event carries its earlier failed attempts; any later one starts at none.
    let attempts = stream.attempts;
    let firstAttemptAt = stream.first_attempt_at;
    let sent = 0;
    for (const event of events) {
      if (!wanted(event.type)) {
        result.done = { position: event.position, seq: event.seq };
        continue;
      }
      // Do not start an attempt that could outlive the lease; stop too on shutdown.
      if (sent > 0 && (this.stopped || Date.now() - started > this.options.attemptTimeoutMs)) {
        result.more = true;
        break;
      }
      sent++;
      await this.pace.turn();
      const attemptedAt = new Date();
      // The address is judged by the sender on each connection (a literal, or every DNS answer for a name).
      const send = (headers: Record<string, string>) => sendSigned(stream.url, this.signer(stream), event.id,
        JSON.stringify(eventView(event)), this.options.attemptTimeoutMs, this.options.allowPrivateNetworks, headers);
      const outcome = this.tracing ? await withClientSpan(this.tracing, 'webhook POST', { 'http.request.method': 'POST', 'server.address': new URL(stream.url).hostname,
        'webhook.event_id': event.id, 'webhook.event_type': event.type }, send) : await send({});
      this.hooks.onAttempt(outcome.result);
      if (outcome.refusedBy) {
        this.log.warn({ subscription: stream.subscription_id, rule: outcome.refusedBy }, 'webhook address refused (SSRF guard)');
      }
      attempts++;
      firstAttemptAt ??= attemptedAt;
      const finished = { event, attempts, status: outcome.status, error: outcome.error, startedAt: firstAttemptAt, attemptedAt };
      if (outcome.result === 'success') {
        result.finished.push({ ...finished, state: 'delivered' });
        result.done = { position: event.position, seq: event.seq };
        result.anyDelivered = true;
        this.hooks.onDelivery('delivered');
        attempts = 0;
        firstAttemptAt = null;
        continue;
      }
      result.failedAttempt = true;
      const delayMs = retryDelayMs(this.options, attempts);
      const error = outcome.error ?? outcome.result;
      if (Date.now() + delayMs > firstAttemptAt.getTime() + this.options.retryWindowMs) {
        // Given up: recorded as failed, and the queue moves on to the next event.
        result.finished.push({ ...finished, error, state: 'failed' });
        result.done = { position: event.position, seq: event.seq };
        result.more = true;
        this.hooks.onDelivery('failed');
        this.log.warn({ subscription: stream.subscription_id, event: event.id, attempts }, 'webhook delivery failed: retry window exhausted');
      } else {
        result.retry = { attempts, firstAttemptAt, delayMs, status: outcome.status, error };
      }
      break;
    }
    await repo.finishRun(this.db, stream, result);
  }
}

/**
 * Paces sends while the process is busy. The dispatcher shares the event loop with the requests: each
 * send costs it about as much as a request, and a hot wallet's queue would otherwise go out as fast
 * as its receiver answers. While the loop's utilisation over the last sample (~200 ms) is above
 * `busyShare`, sends are spaced to at most `busyRate` per second for the whole process; otherwise
 * they go at once. Delivery stays at least once and in order: only later.
 */
export class BusyPace {
  private sampledAt: number;
  private busy = false;
  private nextAt = 0;

  constructor(private readonly busyShare: number, private readonly busyRate: number, private readonly clock: PaceClock = eventLoopClock()) {
    this.sampledAt = clock.now();
  }

  async turn(): Promise<void> {
    if (this.busyShare >= 1) return;
    const now = this.clock.now();
    if (now - this.sampledAt >= 200) {
      this.busy = this.clock.utilizationSinceLastSample() > this.busyShare;
      this.sampledAt = now;
    }
    if (!this.busy) return;
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.busyRate;
    if (at > now) await this.clock.sleep(at - now);
  }
}

/** What BusyPace reads: a clock in ms, the event loop's utilisation since the previous reading, and a sleep. */
export interface PaceClock {
  now(): number;
  utilizationSinceLastSample(): number;
  sleep(ms: number): Promise<void>;
}

function eventLoopClock(): PaceClock {
  let sample = performance.eventLoopUtilization();
  return {
    now: () => performance.now(),
    utilizationSinceLastSample() {
      const current = performance.eventLoopUtilization();
      const u = performance.eventLoopUtilization(current, sample).utilization;
      sample = current;
      return u;
    },
    sleep,
  };
}

/** Exponential, capped, with jitter: a random 50-100% of min(max, base * 2^(attempt-1)). */
export function retryDelayMs(o: Pick<DispatcherOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs'>, attempt: number,
  random: () => number = Math.random): number {
  const ceiling = Math.min(o.retryMaxDelayMs, o.retryBaseDelayMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(ceiling * (0.5 + random() / 2));
}
