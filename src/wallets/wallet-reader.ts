/**
 * Balance reads, coalesced: concurrent GETs of wallets become one `WHERE id = ANY(...)` query
 * per batch instead of one query (and one pool checkout and round trip) each. At most
 * `batchesInFlightMax` queries run at once; ids that arrive meanwhile gather into the next one.
 * Each batch is one snapshot read, so every answer is a committed balance.
 */
import { Overloaded } from '../ledger/errors.js';
import type { WalletRow } from '../ledger/tables.js';

export interface WalletReaderLimits {
  batchSizeMax: number;
  batchesInFlightMax: number;
  /** Reads waiting for a batch, in all; one more is refused (Overloaded) instead of growing memory. */
  waitersMax: number;
}

interface Waiter {
  resolve(row: WalletRow | undefined): void;
  reject(error: unknown): void;
}

export class WalletReader {
  private waiting = new Map<string, Waiter[]>();
  private waitersTotal = 0;
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly fetch: (ids: string[]) => Promise<WalletRow[]>,
    private readonly limits: WalletReaderLimits,
  ) {}

  get(id: string): Promise<WalletRow | undefined> {
    if (this.waitersTotal >= this.limits.waitersMax) return Promise.reject(new Overloaded('read queue full'));
    this.waitersTotal++;
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(id);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.limits.batchesInFlightMax && this.waiting.size > 0) {
      const batch = new Map<string, Waiter[]>();
      for (const [id, waiters] of this.waiting) {
        if (batch.size >= this.limits.batchSizeMax) break;
        batch.set(id, waiters);
        this.waiting.delete(id);
        this.waitersTotal -= waiters.length;
      }
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        if (this.waiting.size > 0) this.schedule();
      });
    }
  }

  private async run(batch: Map<string, Waiter[]>): Promise<void> {
    try {
      const rows = await this.fetch([...batch.keys()]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [id, waiters] of batch) for (const w of waiters) w.resolve(byId.get(id));
    } catch (error) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
    }
  }
}
