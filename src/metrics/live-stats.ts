/**
 * A short in-memory history for the /dashboard page: one bucket per interval (default 2 s),
 * the last `historyLength` of them kept. Prometheus holds the long history; this only has to
 * make the page useful without one. Everything is bounded: latency samples and tracked
 * wallets per bucket have caps, so a flood of traffic cannot grow memory.
 */

import { REQUEST_OUTCOMES, type RequestOutcome } from '../ledger/names.js';

export interface PoolSnapshot {
  total: number;
  idle: number;
  waiting: number;
}

export interface LiveStatsOptions {
  intervalMs: number;
  historyLength: number;
  /** Latency samples kept per bucket (reservoir sampling beyond this). */
  latencySamplesMax: number;
  /** Distinct wallets counted per bucket; further wallets in that bucket are not tracked. */
  walletsTrackedMax: number;
  /** Buckets summed for the busiest-wallets list. */
  busiestWindowBuckets: number;
  busiestListed: number;
  readPool: () => PoolSnapshot;
  /** Under WEB_CONCURRENCY: which worker this is and how many there are (the page says so). */
  worker: { id: number; count: number } | null;
}

/** What a bucket counts, while open and once closed. */
interface BucketCounts {
  requests: number;
  errors4xx: number;
  errors5xx: number;
  outcomes: Map<RequestOutcome, number>;
  retries: number;
  transactions: number;
  batches: number;
  batchCommands: number;
  batchSizeMax: number;
  wallets: Map<string, number>;
}

interface Bucket extends BucketCounts {
  latenciesMs: number[];
  latencySeen: number;
}

interface ClosedBucket extends BucketCounts {
  endedAtMs: number;
  seconds: number;
  p50Ms: number | null;
  p99Ms: number | null;
  pool: PoolSnapshot;
}

export interface LiveSnapshot {
  /** The process these numbers belong to (under WEB_CONCURRENCY each worker has its own). */
  pid: number;
  /** Set under WEB_CONCURRENCY: these numbers are this worker's only (Prometheus has the sum). */
  worker: { id: number; count: number } | null;
  interval_ms: number;
  /** Unix seconds at the end of each bucket. */
  t: number[];
  request_rate: number[];
  error_5xx_percent: (number | null)[];
  error_4xx_percent: (number | null)[];
  latency_p50_ms: (number | null)[];
  latency_p99_ms: (number | null)[];
  operations_per_second: Record<RequestOutcome, number[]>;
  retries_per_second: number[];
  transactions_per_second: number[];
  pool_total: number[];
  pool_idle: number[];
  pool_waiting: number[];
  /** Group-commit batches; null where no batch was reported in the bucket. */
  batch_size_avg: (number | null)[];
  batch_size_max: (number | null)[];
  batches_reported: number;
  busiest_wallets: { wallet_id: string; operations: number }[];
}

function emptyBucket(): Bucket {
  return {
    requests: 0, errors4xx: 0, errors5xx: 0, latenciesMs: [], latencySeen: 0, outcomes: new Map(), retries: 0,
    transactions: 0, batches: 0, batchCommands: 0, batchSizeMax: 0, wallets: new Map(),
  };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export class LiveStats {
  private current = emptyBucket();
  private currentStartedMs = Date.now();
  private readonly history: ClosedBucket[] = [];
  private batchesReported = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: LiveStatsOptions) {
    this.timer = setInterval(() => this.rollover(), options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** `refusal`: a business refusal (insufficient funds, balance limit), an answer and not an error. */
  recordRequest(durationMs: number, statusCode: number, refusal = false): void {
    const b = this.current;
    b.requests++;
    if (statusCode >= 500) b.errors5xx++;
    else if (statusCode >= 400 && !refusal) b.errors4xx++;
    b.latencySeen++;
    if (b.latenciesMs.length < this.options.latencySamplesMax) {
      b.latenciesMs.push(durationMs);
    } else {
      // Reservoir sampling keeps an unbiased sample of bounded size.
      const slot = Math.floor(Math.random() * b.latencySeen);
      if (slot < b.latenciesMs.length) b.latenciesMs[slot] = durationMs;
    }
  }

  recordRequestOutcome(outcome: RequestOutcome, walletId: string | undefined): void {
    const b = this.current;
    b.outcomes.set(outcome, (b.outcomes.get(outcome) ?? 0) + 1);
    if (walletId === undefined) return;
    const seen = b.wallets.get(walletId);
    if (seen !== undefined) b.wallets.set(walletId, seen + 1);
    else if (b.wallets.size < this.options.walletsTrackedMax) b.wallets.set(walletId, 1);
  }

  recordRetry(): void {
    this.current.retries++;
  }

  recordTransaction(): void {
    this.current.transactions++;
  }

  recordBatch(size: number): void {
    const b = this.current;
    b.batches++;
    b.batchCommands += size;
    b.batchSizeMax = Math.max(b.batchSizeMax, size);
    this.batchesReported++;
  }

  /** Closes the current bucket; called by the timer (and by tests that cannot wait for it). */
  rollover(nowMs = Date.now()): void {
    const b = this.current;
    this.current = emptyBucket();
    const sorted = b.latenciesMs.sort((x, y) => x - y);
    this.history.push({
      endedAtMs: nowMs,
      seconds: Math.max(0.001, (nowMs - this.currentStartedMs) / 1000),
      requests: b.requests,
      errors4xx: b.errors4xx,
      errors5xx: b.errors5xx,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      outcomes: b.outcomes,
      retries: b.retries,
      transactions: b.transactions,
      batches: b.batches,
      batchCommands: b.batchCommands,
      batchSizeMax: b.batchSizeMax,
      pool: this.options.readPool(),
      wallets: b.wallets,
    });
    this.currentStartedMs = nowMs;
    if (this.history.length > this.options.historyLength) this.history.shift();
  }

  snapshot(): LiveSnapshot {
    const h = this.history;
    const perSecond = (pick: (b: ClosedBucket) => number) => h.map((b) => round2(pick(b) / b.seconds));
    const percent = (pick: (b: ClosedBucket) => number) =>
      h.map((b) => (b.requests === 0 ? null : round2((100 * pick(b)) / b.requests)));
    const operations = {} as Record<RequestOutcome, number[]>;
    for (const outcome of REQUEST_OUTCOMES) operations[outcome] = perSecond((b) => b.outcomes.get(outcome) ?? 0);
    return {
      pid: process.pid,
      worker: this.options.worker,
      interval_ms: this.options.intervalMs,
      t: h.map((b) => b.endedAtMs / 1000),
      request_rate: perSecond((b) => b.requests),
      error_5xx_percent: percent((b) => b.errors5xx),
      error_4xx_percent: percent((b) => b.errors4xx),
      latency_p50_ms: h.map((b) => (b.p50Ms === null ? null : round2(b.p50Ms))),
      latency_p99_ms: h.map((b) => (b.p99Ms === null ? null : round2(b.p99Ms))),
      operations_per_second: operations,
      retries_per_second: perSecond((b) => b.retries),
      transactions_per_second: perSecond((b) => b.transactions),
      pool_total: h.map((b) => b.pool.total),
      pool_idle: h.map((b) => b.pool.idle),
      pool_waiting: h.map((b) => b.pool.waiting),
      batch_size_avg: h.map((b) => (b.batches === 0 ? null : round2(b.batchCommands / b.batches))),
      batch_size_max: h.map((b) => (b.batches === 0 ? null : b.batchSizeMax)),
      batches_reported: this.batchesReported,
      busiest_wallets: this.busiest(),
    };
  }

  private busiest(): { wallet_id: string; operations: number }[] {
    const totals = new Map<string, number>();
    for (const b of this.history.slice(-this.options.busiestWindowBuckets)) {
      for (const [id, n] of b.wallets) totals.set(id, (totals.get(id) ?? 0) + n);
    }
    return [...totals.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, this.options.busiestListed)
      .map(([wallet_id, operations]) => ({ wallet_id, operations }));
  }
}
