/**
 * Token buckets by name, in this process only: per key (the request rate limit) and per client
 * address (failed authentications, src/auth/authenticator.ts). `ratePerSecond` tokens are added
 * per second up to `burst`; a request takes one. Under WEB_CONCURRENCY workers or several
 * containers each process has its own buckets, so a key may reach N times the rate in total
 * (docs/access-control.md). At most `bucketsMax` buckets: past it, buckets that would be full by
 * now are dropped (they carry no information), and if none is, the oldest.
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

const OK: TakeResult = Object.freeze({ ok: true });

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: TokenBucketLimits,
    private readonly nowMs: () => number = () => performance.now(),
    private readonly bucketsMax = 10_000,
  ) {}

  /** Takes a token from `key`'s bucket, or says when one will be back. */
  take(key: string): TakeResult {
    if (this.limits.ratePerSecond === 0) return OK;
    const bucket = this.refilled(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return OK;
    }
    return this.refusal(bucket);
  }

  /** Whole seconds (Retry-After's unit), at least 1: when one token will be back. */
  private refusal(bucket: Bucket): TakeResult {
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limits.ratePerSecond)) };
  }

  private tokensAt(bucket: Bucket, now: number): number {
    return Math.min(this.limits.burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * this.limits.ratePerSecond);
  }

  private refilled(key: string): Bucket {
    const now = this.nowMs();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.bucketsMax) this.makeRoom(now);
      bucket = { tokens: this.limits.burst, updatedMs: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = this.tokensAt(bucket, now);
      bucket.updatedMs = now;
    }
    return bucket;
  }

  private makeRoom(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.tokensAt(bucket, now) >= this.limits.burst) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.bucketsMax) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
