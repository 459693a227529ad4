/**
 * Puts the database in a comparable state before each measured run: VACUUM (ANALYZE) of the
 * tables the runs write, then a CHECKPOINT. Without it, autovacuum and checkpoints triggered by one
 * run's hundreds of thousands of writes land in the next run and take one of the two cores from it.
 * Best effort: a role that may not CHECKPOINT (e.g. with --url) only vacuums.
 */
import type pg from 'pg';

export async function settle(db: pg.Pool, tables: readonly string[], log: (message: string) => void): Promise<void> {
  const started = Date.now();
  for (const table of tables) {
    await db.query(`VACUUM (ANALYZE) ${table}`).catch((error: Error) => log(`settle: VACUUM ${table} failed: ${error.message}`));
  }
  await db.query('CHECKPOINT').catch(() => undefined);
  const tookMs = Date.now() - started;
  if (tookMs > 2000) log(`settle: ${tookMs} ms`);
}
