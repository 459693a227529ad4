/**
 * npm run bench:auth-cost: access control's CPU cost on the hot-wallet path, measured in one
 * process so that other load on the machine hits both sides alike. Two apps on one embedded
 * PostgreSQL (a temporary one), one checking API keys and one with AUTH_REQUIRED=false, take turns:
 * each round posts --requests deposits to one hot wallet, --concurrency at a time, through
 * app.inject (no sockets: the HTTP layer is the same on both sides), and the process's CPU time per
 * request is compared; the order alternates each round. The first round of each is a warm-up. See also npm run bench:auth-ab (the
 * full harness over HTTP, alternating).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { createKey } from '../src/auth/key-store.js';
import { loadConfig } from '../src/config/config.js';
import { createLedgerDatabase } from '../src/ledger/tables.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { migrate } from '../src/db/migrations.js';
import { freePort } from '../src/lib/free-port.js';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '8' }, requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '100' },
} });
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);

const home = mkdtempSync(join(tmpdir(), 'wallet-auth-cost-'));
chmodSync(home, 0o755); // PostgreSQL runs as the postgres user when we are root
const server = await startEmbeddedPostgres({ dataDir: join(home, 'postgres'), port: await freePort() });
try {
  await migrate(server.url, { forceUnlock: true });
  const owner = new pg.Pool({ connectionString: server.url, max: 1 });
  const key = (await createKey(owner, { tenant: 'default', scopes: ['wallets:read', 'wallets:write'], actor: 'bench:auth-cost' })).key;
  await owner.end();
  const base = loadConfig({});
  const start = async (required: boolean) => {
    const config = { ...base, databaseUrl: server.url, logLevel: 'silent', auth: { ...base.auth, required } };
    const db = createLedgerDatabase({ url: server.url, poolSizeMax: config.poolSizeMax, connectTimeoutMs: 2000, idleTimeoutMs: 10_000, queryTimeoutMs: 6000 });
    const app = await buildApp({ config, db, logger: false });
    await app.ready();
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const wallet = (await app.inject({ method: 'POST', url: '/api/v1/wallets', headers })).json<{ id: string }>().id;
    return { label: required ? 'on' : 'off', app, db, headers, wallet, cpuUs: 0, wallMs: 0, n: 0 };
  };
  const sides = [await start(true), await start(false)];
  for (let round = 0; round < rounds; round++) {
    // Alternate which side goes first: whatever the previous turn leaves behind (garbage to
    // collect, PostgreSQL's background work) then falls on both alike.
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      for (let sent = 0; sent < requests; sent += concurrency) {
        const answers = await Promise.all(Array.from({ length: Math.min(concurrency, requests - sent) }, () => side.app.inject({
          method: 'POST', url: `/api/v1/wallets/${side.wallet}/operation`, headers: side.headers,
          payload: '{"operation_type":"DEPOSIT","amount":"1.00"}',
        })));
        if (answers.some((a) => a.statusCode !== 200)) throw new Error(`auth ${side.label}: a deposit answered ${answers.find((a) => a.statusCode !== 200)!.statusCode}`);
      }
      const cpu = process.cpuUsage(cpu0);
      if (round === 0) continue; // warm-up
      side.cpuUs += cpu.user + cpu.system;
      side.wallMs += performance.now() - wall0;
      side.n += requests;
    }
  }
  console.log('| auth | requests | CPU µs/request (app process) | req/s |\n|---|--:|--:|--:|');
  for (const s of sides) console.log(`| ${s.label} | ${s.n} | ${(s.cpuUs / s.n).toFixed(1)} | ${Math.round(s.n / (s.wallMs / 1000))} |`);
  const [on, off] = sides as [typeof sides[0], typeof sides[0]];
  console.log(`\nauth on costs ${(((on.cpuUs / on.n) / (off.cpuUs / off.n) - 1) * 100).toFixed(1)}% CPU per request; ` +
    `throughput ${((on.n / on.wallMs) / (off.n / off.wallMs) * 100).toFixed(1)}% of auth off`);
  for (const s of sides) {
    await s.app.close();
    await s.db.close();
  }
} finally {
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
