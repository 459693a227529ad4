/** The zero-set-up default survives a run that was killed: orphan postmaster and stale Liquibase lock. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { migrate } from '../src/db/migrations.js';
import { freePort } from '../src/lib/free-port.js';

const home = mkdtempSync(join(tmpdir(), 'wallet-embedded-'));
chmodSync(home, 0o755);
afterAll(() => rmSync(home, { recursive: true, force: true }));

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('takes over from an orphaned postmaster and a stale changelog lock', async () => {
    const dataDir = join(home, 'postgres');
    const first = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    await migrate(first.url, { forceUnlock: true });
    // A killed run: the server is left running and the Liquibase lock left taken.
    await query(first.url, `UPDATE databasechangeloglock SET locked = true, lockgranted = now(), lockedby = 'killed run'`);

    const messages: string[] = [];
    const second = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: (m) => messages.push(m) });
    try {
      expect(messages).toContain('stopping a PostgreSQL left running by an earlier run');
      await migrate(second.url, { forceUnlock: true, log: (m) => messages.push(m) });
      expect(messages).toContain('released a Liquibase lock left by an earlier run that was killed');
      const wallets = await query(second.url, 'SELECT count(*)::int AS n FROM wallets');
      expect(wallets.rows[0].n).toBeGreaterThanOrEqual(0);
    } finally {
      await second.stop();
    }
    // the first handle's server is gone too (the second run stopped it)
    await expect(query(first.url, 'SELECT 1')).rejects.toThrow();
  });
});
