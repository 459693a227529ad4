/**
 * Issue 25, item 3: a flood of well-formed keys with random ids must not lock a legitimate key
 * out. The real server process (src/server.ts) on a port and the test PostgreSQL; 50 autocannon
 * connections from this process send random keys at full speed for 10 s, from the same address as
 * one legitimate client reading its wallet in a loop. Scaled down so that 10 s are enough: the
 * key cache holds 1,000 entries and lives 2 s, so the flood's unknown ids overflow it many times
 * and the legitimate key's entry is refreshed several times while lookups and pool are busy.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';
import { authRequired, bearer, makeKey, newTenant, waitFor } from '../support/test-app.js';

const floodDurationS = 10;
const floodConnections = 50;

function randomKey(): string {
  return `wsk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}

function send(agent: Agent, url: URL, method: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// With the defaults; and with the per-address limit off, where the cache alone must hold.
describe.skipIf(!authRequired).each([
  { name: 'defaults', env: {} },
  { name: 'no per-address failure limit', env: { AUTH_FAILURES_PER_SECOND: '0' } },
])('key-lookup flood, $name (issue 25, item 3)', ({ env }) => {
  let baseUrl: string;
  let server: ReturnType<typeof spawn>;
  let output = '';

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), MIGRATE_ON_START: 'false', HOST: '127.0.0.1',
        PORT: String(port), LOG_LEVEL: 'error', KEY_CACHE_TTL_MS: '2000', KEY_CACHE_ENTRIES_MAX: '1000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    server.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await waitFor(async () => (await fetch(`${baseUrl}/health`).then((r) => r.ok, () => false)) || undefined, 90_000, 'the server')
      .catch((error: Error) => { throw new Error(`${error.message}; its output:\n${output}`); });
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('a legitimate client keeps reading its wallet: >= 99% 200, no 503', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const headers = bearer((await makeKey(newTenant())).key);
    const created = await send(agent, new URL('/api/v1/wallets', baseUrl), 'POST', headers);
    expect(created.status, output).toBe(200);
    const walletId = (JSON.parse(created.body) as { id: string }).id;
    const flood = autocannon({
      url: baseUrl,
      connections: floodConnections,
      duration: floodDurationS,
      timeout: 10,
      requests: [{
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: `/api/v1/wallets/${walletId}`, headers: { authorization: `Bearer ${randomKey()}` } }),
      }],
    });
    const url = new URL(`/api/v1/wallets/${walletId}`, baseUrl);
    const statuses = new Map<number, number>();
    let floodDone = false;
    const finished = Promise.resolve(flood).finally(() => { floodDone = true; });
    while (!floodDone) {
      const { status } = await send(agent, url, 'GET', headers);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const result = await finished;
    agent.destroy();
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    const ok = statuses.get(200) ?? 0;
    const figures = {
      legitimate: { total, ok, ratio: ok / total, statuses: Object.fromEntries(statuses) },
      flood: { requests: result.requests.total, perSecond: result.requests.average, statuses: result.statusCodeStats, errors: result.errors },
    };
    console.log(`key flood: ${JSON.stringify(figures)}`);
    expect(result.requests.total).toBeGreaterThan(floodDurationS * 100); // the flood did flood
    expect(total).toBeGreaterThan(20); // sequential requests on a shared 2-core machine under the flood
    expect(statuses.get(503) ?? 0).toBe(0);
    expect(ok / total).toBeGreaterThanOrEqual(0.99);
  }, 60_000);
});
