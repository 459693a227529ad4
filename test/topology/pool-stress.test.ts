/**
 * 500 concurrent clients through a PgBouncer pool of at most 10 server connections: every request
 * answered, every balance exact, and the server side never above the limit, read from SHOW POOLS,
 * SHOW SERVERS and pg_stat_activity while the load runs.
 *
 * The clients are five app instances (as five processes would be), each with a pool of 100
 * connections and group commit limited to one operation per transaction, so that 500 client
 * connections are really open and in a transaction at once, queueing in PgBouncer.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { formatCents } from '../../src/lib/cents.js';
import { openConsole, pgBouncerAvailable } from '../../tools/pgbouncer/pgbouncer.js';
import { createWallet, operate, useTestApp } from '../support/test-app.js';
import { type BouncerFixture, startBouncerFixture } from './bouncer-fixture.js';

const serverConnectionsMax = 10;
const appInstances = 5;
const poolPerInstance = 100;
const clients = appInstances * poolPerInstance; // 500
const requestsPerClient = 4;
const walletCount = 50;
const openingBalanceCents = 100_000n; // 1000.00: withdrawals below can never overdraw


describe.skipIf(!pgBouncerAvailable() && !process.env.CI)('pool stress through PgBouncer', () => {
  let fx: BouncerFixture;
  beforeAll(async () => {
    fx = await startBouncerFixture({
      default_pool_size: serverConnectionsMax, min_pool_size: 0, reserve_pool_size: 0,
      max_db_connections: serverConnectionsMax, max_user_connections: serverConnectionsMax,
      max_client_conn: clients + 100,
      // On 2 shared cores a client may queue a while behind 499 others; it must wait, not fail.
      query_wait_timeout: 120,
    });
  });
  afterAll(async () => { await fx?.close(); });
  const groupCommit = { ...loadConfig({}).groupCommit, batchSizeMax: 1, batchesInFlightMax: poolPerInstance,
    walletBatchesInFlightMax: poolPerInstance };
  const apps = Array.from({ length: appInstances }, () => useTestApp({
    poolSizeMax: poolPerInstance, poolConnectTimeoutMs: 30_000, operationBudgetMs: 120_000, lockTimeoutMs: 30_000,
    statementTimeoutMs: 60_000, groupCommit,
  }, { url: () => fx.appUrl }));
  const urls: string[] = [];
  beforeAll(async () => {
    for (const t of apps) {
      urls.push(await (t.app as FastifyInstance).listen({ host: '127.0.0.1', port: 0 }));
      // Open the whole pool up front (a long-running process has it open): the 500 client
      // connections then all exist when the burst starts, instead of ramping up during it.
      const held = await Promise.all(Array.from({ length: poolPerInstance }, () => t.db.pool.connect()));
      for (const client of held) client.release();
    }
  });

  it(`${clients} clients, at most ${serverConnectionsMax} server connections: all answered, balances exact`,
    // 2,000 requests through 10 server connections: well under a minute on a quiet machine, but CI
    // shares two cores with everything else, so the bound is generous (it is not a timing assertion).
    { timeout: 180_000 }, async () => {
    const first = apps[0]!.app;
    // Every instance is asked with the first one's key: the wallets are its tenant's.
    const authHeaders = apps[0]!.authHeaders;
    const wallets = await Promise.all(Array.from({ length: walletCount }, () => createWallet(first)));
    for (const id of wallets) {
      expect((await operate(first, id, { operation_type: 'DEPOSIT', amount: formatCents(openingBalanceCents) })).statusCode).toBe(200);
    }

    // Sample the server side while the load runs.
    let sampling = true;
    const seen = { serversMax: 0, poolServersMax: 0, backendsMax: 0, clientsMax: 0, waitingMax: 0, samples: 0 };
    const console1 = await openConsole(fx.bouncer.consoleUrl('stats'));
    const console2 = await openConsole(fx.bouncer.consoleUrl('stats'));
    const sampler = (async () => {
      while (sampling) {
        const [pools, servers, backends] = await Promise.all([
          console1.show('SHOW POOLS'),
          console2.show('SHOW SERVERS'),
          fx.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY ($1)', [[fx.appUser, fx.authUser]]),
        ]);
        const mine = pools.filter((p) => p.database === fx.bouncer.databaseAlias);
        const n = (p: Record<string, string | null>, k: string) => Number(p[k] ?? 0);
        const poolServers = mine.reduce((s, p) => s + n(p, 'sv_active') + n(p, 'sv_idle') + n(p, 'sv_used') + n(p, 'sv_tested') + n(p, 'sv_login'), 0);
        seen.poolServersMax = Math.max(seen.poolServersMax, poolServers);
        seen.serversMax = Math.max(seen.serversMax, servers.filter((s) => s.database === fx.bouncer.databaseAlias).length);
        seen.backendsMax = Math.max(seen.backendsMax, backends.rows[0]!.n);
        seen.clientsMax = Math.max(seen.clientsMax, mine.reduce((s, p) => s + n(p, 'cl_active') + n(p, 'cl_waiting'), 0));
        seen.waitingMax = Math.max(seen.waitingMax, mine.reduce((s, p) => s + n(p, 'cl_waiting'), 0));
        seen.samples++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const expected = new Map<string, bigint>(wallets.map((w) => [w, openingBalanceCents]));
    const outcomes = new Map<string, number>();
    const startedAt = performance.now();
    await Promise.all(Array.from({ length: clients }, async (_, c) => {
      const base = urls[c % appInstances]!;
      const wallet = wallets[c % walletCount]!;
      for (let k = 0; k < requestsPerClient; k++) {
        const amount = BigInt(((c * requestsPerClient + k) % 97) + 1); // 0.01 .. 0.97
        const type = k === 3 ? 'WITHDRAW' : 'DEPOSIT';
        let outcome: string;
        try {
          const res = await fetch(`${base}/api/v1/wallets/${wallet}/operation`, {
            method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders },
            body: JSON.stringify({ operation_type: type, amount: formatCents(amount) }),
          });
          const body = await res.json() as { status?: string };
          outcome = `${res.status} ${body.status ?? ''}`.trim();
          if (outcome === '200 SUCCESS') expected.set(wallet, expected.get(wallet)! + (type === 'DEPOSIT' ? amount : -amount));
        } catch (error) {
          outcome = `network ${(error as Error).message}`;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }));
    const elapsedMs = performance.now() - startedAt;
    sampling = false;
    await sampler;
    await console1.close();
    await console2.close();

    const requests = clients * requestsPerClient;
    const succeeded = outcomes.get('200 SUCCESS') ?? 0;
    const balances = await Promise.all(wallets.map(async (w) => [w, (await first.inject({ method: 'GET', url: `/api/v1/wallets/${w}` })).json().balance as string] as const));
    const total = [...expected.values()].reduce((a, b) => a + b, 0n);
    const actualTotal = balances.reduce((a, [, b]) => a + BigInt(b.replace('.', '')), 0n);
    console.log(`[pool-stress] clients=${clients} requests=${requests} answered=${[...outcomes.values()].reduce((a, b) => a + b, 0)} ` +
      `success=${succeeded} errors=${requests - succeeded} outcomes=${JSON.stringify(Object.fromEntries(outcomes))} ` +
      `server_connections_max(SHOW SERVERS)=${seen.serversMax} pool_servers_max(SHOW POOLS)=${seen.poolServersMax} ` +
      `backends_max(pg_stat_activity)=${seen.backendsMax} clients_max=${seen.clientsMax} cl_waiting_max=${seen.waitingMax} ` +
      `samples=${seen.samples} total_balance=${formatCents(actualTotal)} expected=${formatCents(total)} elapsed_ms=${Math.round(elapsedMs)}`);

    expect(Object.fromEntries(outcomes)).toEqual({ '200 SUCCESS': requests });
    for (const [w, balance] of balances) expect(balance, w).toBe(formatCents(expected.get(w)!));
    expect(actualTotal).toBe(total);
    const ledger = await fx.admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM operations WHERE wallet_id = ANY ($1::uuid[])`, [wallets]);
    expect(ledger.rows[0]!.n).toBe(requests + walletCount);

    expect(seen.samples).toBeGreaterThan(3);
    expect(seen.serversMax).toBeLessThanOrEqual(serverConnectionsMax);
    expect(seen.poolServersMax).toBeLessThanOrEqual(serverConnectionsMax);
    expect(seen.backendsMax).toBeLessThanOrEqual(serverConnectionsMax);
    // The load was real: far more clients than server connections, and clients had to queue.
    expect(seen.clientsMax).toBeGreaterThanOrEqual(clients);
    expect(seen.waitingMax).toBeGreaterThan(0);
  });
});
