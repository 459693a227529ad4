/**
 * Retention of refusals: every IDEMPOTENCY_PRUNE_INTERVAL_MS each process deletes refused ledger
 * rows and holds older than IDEMPOTENCY_RETENTION_HOURS (refusals_prune(), changeset 021), at
 * most IDEMPOTENCY_PRUNE_ROWS_MAX of each per pass. They move no money and exist only so that a
 * replay of their Idempotency-Key is the same 400; applied rows are never deleted.
 */
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import type { Database } from './tables.js';

export interface Pruned {
  operations: number;
  holds: number;
}

export async function pruneRefusals(db: Kysely<Database>, retentionHours: number, rowsMax: number): Promise<Pruned> {
  const { rows } = await sql<{ operations_deleted: string; holds_deleted: string }>`
    SELECT * FROM refusals_prune(${retentionHours} * interval '1 hour', ${rowsMax})`.execute(db);
  return { operations: Number(rows[0]!.operations_deleted), holds: Number(rows[0]!.holds_deleted) };
}

export class RefusalPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: Config['refusals'],
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => { this.running ??= this.pass().finally(() => { this.running = undefined; }); }, this.options.pruneIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    try {
      const pruned = await pruneRefusals(this.db, this.options.retentionHours, this.options.pruneRowsMax);
      if (pruned.operations + pruned.holds > 0) this.log.info(pruned, 'pruned refusals past their retention');
    } catch (error) {
      this.log.warn({ err: error }, 'pruning refusals failed; the next pass retries');
    }
  }
}
