/**
 * Issue 15, bugs 1 and 4, as an operator meets them with `npm start` on the embedded PostgreSQL:
 * `npm run migrate` and a second `npm start` next to a running service must not stop its database,
 * a connection the server ends is one warning line without a stack trace, and a Ctrl-C (SIGINT to
 * the whole process group, as a terminal sends it) is a clean stop with no warning logged.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';
import { waitFor } from '../../src/lib/wait-for.js';
import { type AppProcess, startAppProcess } from '../../tools/stack/app-process.js';

// These start clusters of their own and never touch the suite's database: the direct pass of CI runs
// them, the pass through PgBouncer (TEST_VIA_PGBOUNCER) would only repeat them.
const viaPgbouncer = /^(1|true)$/i.test(process.env.TEST_VIA_PGBOUNCER ?? '');
/** Each test starts services that run Liquibase (a JVM, seconds each on 2 shared cores). */
const heavyTestMs = 240_000;
const home = mkdtempSync(join(tmpdir(), 'wallet-operator-'));
chmodSync(home, 0o755); // PostgreSQL runs as the postgres user when we are root
const started: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((app) => app.stop(10_000)));
  rmSync(home, { recursive: true, force: true });
});

/** `npm start` as the service runs it: src/server.ts on the embedded cluster in `dataDir`. */
async function npmStart(dataDir: string, pgPort: number, name: string, detached = false): Promise<AppProcess> {
  const app = await startAppProcess({
    entry: 'server', port: await freePort(), startTimeoutMs: 120_000, detached,
    output: { file: join(home, `${name}.log`) },
    env: {
      EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), DATABASE_URL: undefined, MIGRATION_DATABASE_URL: undefined,
      AUTH_REQUIRED: 'false', LOG_LEVEL: 'info',
    },
  });
  started.push(app);
  return app;
}

function runScript(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '', MIGRATION_DATABASE_URL: '', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

async function deposit(baseUrl: string, walletId: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/wallets/${walletId}/operation`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation_type: 'DEPOSIT', amount: '1.00' }),
  });
  return `${res.status} ${((await res.json()) as { status?: string }).status}`;
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function portOpen(port: number): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (error) {
    return !/ECONNREFUSED/.test(String(error)); // refused: nothing listens; anything else: a server answered
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe.skipIf(viaPgbouncer)('the embedded cluster of a running service', () => {
  it('survives `npm run migrate`, `npm run reconcile` and a second `npm start` next to it: the service keeps answering SUCCESS', async () => {
    const dataDir = join(home, 'shared', 'postgres');
    const pgPort = await freePort();
    const service = await npmStart(dataDir, pgPort, 'first');
    const wallet = (await (await fetch(`${service.url}/api/v1/wallets/`, { method: 'POST' })).json()) as { id: string };
    expect(await deposit(service.url, wallet.id)).toBe('200 SUCCESS');
    // Secrets at rest on by default: the first start made a webhook secret key beside the cluster.
    const webhookKeyFile = join(home, 'shared', 'webhook-secret-key');
    expect(statSync(webhookKeyFile).mode & 0o777).toBe(0o600);
    expect(service.logTail(200)).toMatch(/first run: created a webhook secret key/);
    expect(service.logTail(200)).not.toMatch(/WEBHOOK_SECRET_KEY is not set/);

    const migrate = await runScript('scripts/migrate.ts', { EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) });
    expect(migrate.code).toBe(0);
    expect(migrate.output).not.toMatch(/stopping a PostgreSQL/);
    expect(migrate.output).toMatch(/joining the embedded PostgreSQL/);
    expect(await deposit(service.url, wallet.id)).toBe('200 SUCCESS');

    const reconcile = await runScript('scripts/reconcile.ts', { EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) });
    expect(reconcile.code).toBe(0);
    expect(await deposit(service.url, wallet.id)).toBe('200 SUCCESS');

    // A second `npm start` on the same port says so before touching the database.
    const samePort = await runScript('src/server.ts', {
      EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), PORT: new URL(service.url).port, HOST: '127.0.0.1', AUTH_REQUIRED: 'false',
    });
    expect(samePort.code).toBe(1);
    expect(samePort.output.trim()).toBe(`[wallet-service] port ${new URL(service.url).port} (the API) is already in use: stop what uses it or set PORT`);
    expect(await deposit(service.url, wallet.id)).toBe('200 SUCCESS');

    const second = await npmStart(dataDir, await freePort(), 'second');
    expect(await deposit(second.url, wallet.id)).toBe('200 SUCCESS');
    expect(second.logTail(200)).toContain(`webhook signing secrets sealed with the key in ${webhookKeyFile}`);
    await second.stop(30_000);
    expect(second.logTail(50)).toMatch(/embedded PostgreSQL left running: pid \d+/);
    expect(await deposit(service.url, wallet.id)).toBe('200 SUCCESS');

    const balance = (await (await fetch(`${service.url}/api/v1/wallets/${wallet.id}`)).json()) as { balance: string };
    expect(balance.balance).toBe('6.00');
    await service.stop(30_000); // the last user: its database stops with it
    expect(await portOpen(pgPort)).toBe(false);
  }, heavyTestMs);

  it('stops cleanly on Ctrl-C (SIGINT to the process group): exit 0, no warning, PostgreSQL stopped', async () => {
    const pgPort = await freePort();
    const service = await npmStart(join(home, 'ctrl-c', 'postgres'), pgPort, 'ctrl-c', true);
    const wallet = (await (await fetch(`${service.url}/api/v1/wallets/`, { method: 'POST' })).json()) as { id: string };
    expect(await deposit(service.url, wallet.id)).toBe('200 SUCCESS'); // the pool now holds idle connections

    // The server ending an idle connection (an operator's pg_terminate_backend, a restart) is one
    // warning line with its SQLSTATE, not a stack trace of pg's socket handling.
    const admin = await startEmbeddedPostgres({ dataDir: join(home, 'ctrl-c', 'postgres'), port: pgPort }); // joins
    await withClient(admin.url, (c) => c.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`));
    await admin.stop();
    const lost = await waitFor(() => service.logTail(200).split('\n').find((l) => l.includes('idle database connection lost')),
      { what: 'the lost connection to be logged', timeoutMs: 10_000, detail: () => service.logTail(20) });
    expect(lost).toContain('"code":"57P01"');
    expect(lost).not.toContain('stack');
    expect(await deposit(service.url, wallet.id)).toBe('200 SUCCESS'); // the pool opened new connections

    process.kill(-service.pid, 'SIGINT');
    await service.exit;
    expect(service.child.exitCode).toBe(0);
    // What the stop logged: from the signal's line on (the deposit's access line and the warning
    // above may reach the pipe late, so counting lines before the kill is not a boundary).
    const tail = service.logTail(500);
    expect(tail).toContain('SIGINT received, shutting down');
    const log = tail.slice(tail.lastIndexOf('SIGINT received, shutting down'));
    expect(log).not.toMatch(/"level":(40|50|60)/);
    expect(log).not.toMatch(/terminating connection due to administrator command/);
    // The server is stopped after the pool closed, not by the same Ctrl-C under the app's feet.
    expect(log).not.toMatch(/idle database connection/);
    expect(await portOpen(pgPort)).toBe(false);
  }, heavyTestMs);
});
