/**
 * Rate limit per key: one token bucket per key id, in this process only. `ratePerSecond` tokens
 * are added per second up to `burst`; a request takes one. Under WEB_CONCURRENCY workers or
 * several containers each process has its own buckets, so a key may reach N times the rate in
 * total (docs/access-control.md). Buckets exist only for authenticated keys, so their number is
 * bounded by the keys in use; idle ones are dropped once the map grows past `bucketsMax`.
 */
export interface TokenBucketLimits {
  /** 0: no limit. */
  ratePerSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: TokenBucketLimits,
    private readonly nowMs: () => number = () => performance.now(),
    private readonly bucketsMax = 10_000,
  ) {}

  take(key: string): TakeResult {
    if (this.limits.ratePerSecond === 0) return { ok: true };
    const now = this.nowMs();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.bucketsMax) this.dropFull(now);
      bucket = { tokens: this.limits.burst, updatedMs: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.limits.burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * this.limits.ratePerSecond);
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    // Whole seconds (Retry-After's unit), at least 1: when one token will be back.
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limits.ratePerSecond)) };
  }

  /** Buckets that would be full by now carry no information: forget them. */
  private dropFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updatedMs) / 1000) * this.limits.ratePerSecond >= this.limits.burst) this.buckets.delete(key);
    }
  }
}
