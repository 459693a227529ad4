/**
 * Request rates that hold across processes and machines: per tenant and per key, as set in
 * `tenant_limits` (changeset 021, `npm run keys -- limits`). The budget of each one-second window
 * lives in PostgreSQL (`rate_leases`); a process leases a slice of it (LEASE_SHARE of the limit) in
 * one statement and spends the slice locally, so:
 * - the processes together never admit more than the limit in a window (a lease never passes it);
 * - they admit at least the limit minus one unspent slice per process while demand exceeds it
 *   (within 10% with two processes at the default share of 5%);
 * - a process talks to PostgreSQL about once per slice, not per request, and a tenant without
 *   limits costs one Map lookup.
 * Windows are the database's seconds (its clock decides, not each machine's). A lease that fails
 * (database unreachable) admits: the request then meets the same database and answers for itself.
 */
import type pg from 'pg';

/** The share of a limit one lease takes. */
const LEASE_SHARE = 0.05;
/** Windows older than this many seconds are deleted by the process that leases after them. */
const KEEP_WINDOWS_S = 60;

export type SharedTake = { ok: true } | { ok: false; retryAfterSeconds: number };
const OK: SharedTake = Object.freeze({ ok: true });

interface Slice {
  /** The database's window (epoch second) the slice belongs to. */
  window: number;
  /** When (performance.now()) the window ends, by the database's clock at the lease. */
  endsAtMs: number;
  left: number;
  /** The window's budget is spent: refuse until it ends. */
  spent: boolean;
  leasing: Promise<void> | undefined;
}

const REFUSED: SharedTake = Object.freeze({ ok: false, retryAfterSeconds: 1 });
/** Leases one request may wait for before it is refused (others spent each slice first). */
const LEASES_PER_REQUEST_MAX = 8;
const SUBJECTS_MAX = 10_000;

export class SharedRateLimiter {
  private readonly slices = new Map<string, Slice>();
  private lastCleanupWindow = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Takes one request of `subject`'s budget (`limit` per second): now when the slice has one, else after a lease. */
  take(subject: string, limit: number): SharedTake | Promise<SharedTake> {
    const slice = this.slices.get(subject);
    if (slice && this.nowMs() < slice.endsAtMs) {
      if (slice.left > 0) {
        slice.left -= 1;
        return OK;
      }
      if (slice.spent) return REFUSED;
    }
    return this.leaseThenTake(subject, limit);
  }

  private async leaseThenTake(subject: string, limit: number): Promise<SharedTake> {
    for (let leases = 0; leases < LEASES_PER_REQUEST_MAX; leases++) {
      const slice = this.sliceOf(subject);
      if (this.nowMs() >= slice.endsAtMs && !slice.leasing) {
        // The window is over: what is left of its slice belongs to it, not to the next one.
        slice.left = 0;
        slice.spent = false;
      }
      if (slice.left > 0) {
        slice.left -= 1;
        return OK;
      }
      if (slice.spent && this.nowMs() < slice.endsAtMs) return REFUSED;
      slice.leasing ??= this.lease(subject, limit, slice).finally(() => { slice.leasing = undefined; });
      await slice.leasing;
    }
    return REFUSED;
  }

  private sliceOf(subject: string): Slice {
    let slice = this.slices.get(subject);
    if (!slice) {
      if (this.slices.size >= SUBJECTS_MAX) this.forgetEnded();
      slice = { window: 0, endsAtMs: 0, left: 0, spent: false, leasing: undefined };
      this.slices.set(subject, slice);
    }
    return slice;
  }

  private forgetEnded(): void {
    const now = this.nowMs();
    for (const [subject, slice] of this.slices) if (now >= slice.endsAtMs && !slice.leasing) this.slices.delete(subject);
  }

  /** One statement: add up to a slice to the window's grant, never past the limit; learn the window. */
  private async lease(subject: string, limit: number, slice: Slice): Promise<void> {
    const want = Math.max(1, Math.ceil(limit * LEASE_SHARE));
    const startedMs = this.nowMs();
    try {
      const { rows } = await this.pool.query<{ window_start: string; granted: number; ms_left: number }>(
        `WITH w AS (SELECT floor(extract(epoch FROM t))::bigint AS s,
                           (1000 - (extract(epoch FROM t) * 1000)::bigint % 1000)::int AS ms_left
                      FROM (SELECT clock_timestamp() AS t) c)
         INSERT INTO rate_leases AS r (subject, window_start, granted, last_grant)
         SELECT $1, w.s, LEAST($2::int, $3::int), LEAST($2::int, $3::int) FROM w
         ON CONFLICT (subject, window_start) DO UPDATE
            SET granted = LEAST($3::int, r.granted + $2::int), last_grant = LEAST($3::int, r.granted + $2::int) - r.granted
         RETURNING r.window_start, r.last_grant AS granted, (SELECT ms_left FROM w)`,
        [subject, want, limit]);
      const row = rows[0]!;
      const window = Number(row.window_start);
      slice.left = (slice.window === window ? slice.left : 0) + row.granted;
      slice.window = window;
      slice.endsAtMs = startedMs + row.ms_left;
      slice.spent = row.granted < want;
      if (window - this.lastCleanupWindow > KEEP_WINDOWS_S) {
        this.lastCleanupWindow = window;
        void this.pool.query('DELETE FROM rate_leases WHERE window_start < $1', [window - KEEP_WINDOWS_S]).catch(this.onError);
      }
    } catch (error) {
      this.onError(error);
      // Admit for a second rather than refuse because the budget could not be read.
      slice.window = -1;
      slice.endsAtMs = startedMs + 1000;
      slice.left = want;
      slice.spent = false;
    }
  }
}
