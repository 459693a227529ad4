/**
 * The restore drill (HA_TESTS=1 npx vitest run test/ha/restore-drill.test.ts, about 2 minutes):
 * on the HA stack, a full backup, load, a named restore point, more load, then a point-in-time
 * restore to that point into a new instance. The restored ledger must hold every operation
 * acknowledged before the point exactly once, none of those after it, and reconcile.
 * Skipped unless HA_TESTS=1 (needs the Debian packages patroni, etcd-server, haproxy, pgbackrest).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstLedger } from '../../faults/check.js';
import { HaFaultStack } from '../../faults/ha-stack.js';
import { LoadDriver } from '../../faults/load.js';
import { freePort } from '../../src/lib/free-port.js';
import { backup, createRestorePoint } from '../../tools/ha/pgbackrest.js';
import { type RestoredInstance, restoreInstance } from '../../tools/ha/pitr.js';

const enabled = /^(1|true)$/i.test(process.env.HA_TESTS ?? '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => { if (process.env.HA_TESTS_VERBOSE) console.log(line); };

let stack: HaFaultStack;
let restored: RestoredInstance | undefined;
let restoreHome: string;

async function createWallets(url: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < n) {
    const res = await fetch(`${url}/api/v1/wallets/`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

function driver(wallets: string[]): LoadDriver {
  return new LoadDriver({ apps: () => stack.liveApps().map((a) => ({ index: a.index, url: a.url })) }, {
    hotWallets: wallets.slice(0, 3), coldWallets: wallets.slice(3), hotShare: 0.5, keyedShare: 0.5, depositShare: 0.6,
    concurrency: 16, ratePerSecond: 150, requestTimeoutMs: 20_000, keyedAttemptsMax: 5, readShare: 0,
  });
}

describe.skipIf(!enabled)('point-in-time restore drill (pgBackRest, named restore point)', () => {
  beforeAll(async () => {
    stack = await HaFaultStack.start(1, log);
    restoreHome = mkdtempSync(join(tmpdir(), 'wallet-restore-'));
    chmodSync(restoreHome, 0o755);
  }, 300_000);

  afterAll(async () => {
    await restored?.stop();
    await stack?.stop();
    if (restoreHome) rmSync(restoreHome, { recursive: true, force: true });
  }, 300_000);

  it('restores every operation acknowledged before the point, none after it, and the books reconcile', async () => {
    const info = stack.cluster.info();
    const wallets = await createWallets(stack.liveApps()[0]!.url, 30);
    await backup(info, 'full', log);

    const before = driver(wallets);
    await before.seed(wallets.slice(0, 3), '100000.00');
    before.start();
    await sleep(4000);
    await before.stop();
    const point = `drill-${Date.now()}`;
    await createRestorePoint(info, stack.cluster.primaryUrl(), point);

    const after = driver(wallets);
    after.start();
    await sleep(3000);
    await after.stop();
    const acknowledgedAfter = after.requests.flatMap((r) => r.attempts).filter((a) => a.kind === 'SUCCESS').map((a) => a.operationId!);
    expect(acknowledgedAfter.length).toBeGreaterThan(0);

    restored = await restoreInstance(info, stack.cluster.superuserPassword, { target: point, port: await freePort(), dir: restoreHome, log });
    const pool = new pg.Pool({ connectionString: restored.url, max: 3 });
    try {
      // Every request made before the point is judged against the restored ledger exactly as the
      // fault suite judges a live one; a row written after the point would be unexplained.
      const verdict = await checkAgainstLedger(pool, before.requests, wallets);
      expect(verdict.violations).toEqual([]);
      expect(verdict.outcomes.SUCCESS).toBeGreaterThan(100);
      log(`restore drill: ${verdict.requests} requests before the point (${verdict.outcomes.SUCCESS} SUCCESS, ${verdict.ledgerRows} ledger rows restored), ` +
        `${acknowledgedAfter.length} SUCCESS after it (none restored expected)`);
      const leaked = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM operations WHERE id = ANY($1::uuid[])', [acknowledgedAfter]);
      expect(leaked.rows[0]!.n).toBe('0');
      // The live cluster still has them all: the restore left it alone.
      const live = await stack.admin.query<{ n: string }>('SELECT count(*)::text AS n FROM operations WHERE id = ANY($1::uuid[])', [acknowledgedAfter]);
      expect(Number(live.rows[0]!.n)).toBe(new Set(acknowledgedAfter).size);
    } finally {
      await pool.end();
    }
  }, 600_000);
});
