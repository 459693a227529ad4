/**
 * The zero-set-up default: a run that was killed is recovered from (orphan postmaster, stale
 * Liquibase lock), a cluster a live process uses is joined and never stopped under it, every
 * cluster keeps its own credentials, and as root a private directory (mode 0700) works.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { migrate, projectRoot } from '../src/db/migrations.js';
import { freePort } from '../src/lib/free-port.js';
import { waitFor } from '../src/lib/wait-for.js';

// These start clusters of their own and never touch the suite's database: the direct pass of CI runs
// them, the pass through PgBouncer (TEST_VIA_PGBOUNCER) would only repeat them.
const viaPgbouncer = /^(1|true)$/i.test(process.env.TEST_VIA_PGBOUNCER ?? '');
const home = mkdtempSync(join(tmpdir(), 'wallet-embedded-'));
chmodSync(home, 0o755);
const holders: ChildProcess[] = [];
afterAll(async () => {
  for (const child of holders) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(holders.map((child) => exited(child)));
  rmSync(home, { recursive: true, force: true });
});

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Another process holding the cluster (test/support/hold-embedded-postgres.ts). */
async function holdInAnotherProcess(dataDir: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/hold-embedded-postgres.ts', dataDir, String(port)],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  holders.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const url = await waitFor(() => /^READY (\S+)$/m.exec(output)?.[1], {
    what: 'the holding process', timeoutMs: 60_000, failFast: () => (child.exitCode !== null ? 'exited' : undefined),
    detail: () => output,
  });
  return { child, url };
}

describe.skipIf(viaPgbouncer)('embedded PostgreSQL', () => {
  it('takes over from the orphaned postmaster of a killed run, data and stale changelog lock included', async () => {
    const dataDir = join(home, 'orphan');
    const killed = await holdInAnotherProcess(dataDir, await freePort());
    await migrate(killed.url, { forceUnlock: true });
    await query(killed.url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
    await query(killed.url, `UPDATE databasechangeloglock SET locked = true, lockgranted = now(), lockedby = 'killed run'`);
    killed.child.kill('SIGKILL');
    await exited(killed.child);

    const messages: string[] = [];
    const next = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: (m) => messages.push(m) });
    try {
      expect(messages).toContain('stopping a PostgreSQL left running by an earlier run (no live process uses it)');
      expect(next.startedHere).toBe(true);
      await migrate(next.url, { forceUnlock: next.startedHere, log: (m) => messages.push(m) });
      expect(messages).toContain('released a Liquibase lock left by an earlier run that was killed');
      expect((await query(next.url, 'SELECT n FROM kept')).rows).toEqual([{ n: 7 }]);
    } finally {
      await next.stop();
    }
    await expect(query(killed.url, 'SELECT 1')).rejects.toThrow(); // the orphan is gone
    await expect(query(next.url, 'SELECT 1')).rejects.toThrow(); // and we stopped ours
  }, 180_000); // two Liquibase runs (a JVM each) on 2 shared cores

  it('joins a cluster that a live process runs and leaves it running', async () => {
    const dataDir = join(home, 'shared');
    const port = await freePort();
    const owner = await holdInAnotherProcess(dataDir, port);
    const messages: string[] = [];
    const joined = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: (m) => messages.push(m) });
    expect(joined.startedHere).toBe(false);
    expect(joined.port).toBe(port);
    expect(messages.join('\n')).not.toMatch(/stopping/);
    await joined.stop();
    expect(messages.at(-1)).toMatch(/^embedded PostgreSQL left running: pid \d+/);
    expect((await query(owner.url, 'SELECT 1 AS one')).rows[0].one).toBe(1);

    owner.child.kill('SIGTERM'); // the last user leaves: the server stops
    await exited(owner.child);
    await expect(query(owner.url, 'SELECT 1')).rejects.toThrow();
  });

  it('keeps each cluster\'s credentials with that cluster (two clusters in one directory)', async () => {
    const first = await startEmbeddedPostgres({ dataDir: join(home, 'two', 'postgres'), port: await freePort() });
    await first.stop();
    const second = await startEmbeddedPostgres({ dataDir: join(home, 'two', 'elsewhere'), port: await freePort() });
    await second.stop();
    const again = await startEmbeddedPostgres({ dataDir: join(home, 'two', 'postgres'), port: await freePort() });
    try {
      expect((await query(again.url, 'SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await again.stop();
    }
    expect(existsSync(join(home, 'two', 'credentials.json'))).toBe(false);
  });

  it('adopts the credentials an older version kept in the parent directory', async () => {
    const dataDir = join(home, 'legacy', 'postgres');
    const first = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    await first.stop();
    renameSync(join(dataDir, 'wallet-service', 'credentials.json'), join(home, 'legacy', 'credentials.json'));
    const messages: string[] = [];
    const again = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: (m) => messages.push(m) });
    try {
      expect(messages.join('\n')).toMatch(/credentials of this cluster copied from .*legacy\/credentials\.json/);
      expect((await query(again.url, 'SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await again.stop();
    }
  });

  it.runIf(process.getuid?.() === 0)('as root, runs a cluster configured inside a private (0700) directory and keeps its data', async () => {
    const secret = mkdtempSync(join(tmpdir(), 'wallet-private-')); // mode 0700: the postgres user cannot enter
    const dataDir = join(secret, '.data', 'postgres');
    try {
      const messages: string[] = [];
      const first = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: (m) => messages.push(m) });
      try {
        expect(messages.join('\n')).toMatch(/cannot reach .* the cluster lives in \/var\/tmp\/wallet-service\//);
        expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
        await query(first.url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
      } finally {
        await first.stop();
      }
      const second = await startEmbeddedPostgres({ dataDir, port: await freePort() });
      try {
        expect((await query(second.url, 'SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
      } finally {
        await second.stop();
      }
    } finally {
      const real = join(secret, '.data', 'postgres');
      if (existsSync(real)) rmSync(realpathSync(real), { recursive: true, force: true });
      rmSync(secret, { recursive: true, force: true });
    }
  });
});
