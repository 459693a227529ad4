/** SIGTERM on the real server process: stop accepting, finish the in-flight operation, exit 0. */
import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';
import { adminPool, authRequired, bearer, makeKey, newTenant, waitFor } from '../support/test-app.js';

describe('graceful shutdown', () => {
  it('refuses new connections, completes the in-flight operation, closes the pool and exits 0', async () => {
    const port = await freePort();
    const auth = authRequired ? bearer((await makeKey(newTenant())).key) : {};
    const base = `http://127.0.0.1:${port}`;
    const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), MIGRATE_ON_START: 'false', HOST: '127.0.0.1',
        PORT: String(port), LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '20000', DB_LOCK_TIMEOUT_MS: '20000', DB_STATEMENT_TIMEOUT_MS: '30000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    server.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    const admin = adminPool();
    const holder = await admin.connect();
    try {
      await waitFor(async () => (await fetch(`${base}/health`).then((r) => r.ok, () => false)) || undefined, 30_000, 'the server');
      const wallet = (await (await fetch(`${base}/api/v1/wallets`, { method: 'POST', headers: auth })).json()) as { id: string };
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [wallet.id]);
      const inFlight = fetch(`${base}/api/v1/wallets/${wallet.id}/operation`, {
        method: 'POST', headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ operation_type: 'DEPOSIT', amount: '7.00' }),
      });
      // In flight: its transaction waits for the row lock we hold.
      await waitFor(async () => {
        const r = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%apply_operations%'`);
        return r.rowCount ? true : undefined;
      }, 10_000, 'the operation to wait for the lock');
      server.kill('SIGTERM');
      await waitFor(async () => (await fetch(`${base}/health`).then(() => false, () => true)) || undefined, 10_000,
        'new connections to be refused');
      expect(server.exitCode).toBeNull(); // still finishing the in-flight request
      await holder.query('COMMIT');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'SUCCESS', balance: '7.00' });
      expect(await exited).toBe(0);
      expect(output).toContain('SIGTERM received, shutting down');
      expect(output).toContain('stopped');
      const stored = await admin.query('SELECT balance::text FROM wallets WHERE id = $1', [wallet.id]);
      expect(stored.rows[0].balance).toBe('7.00');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await admin.end();
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });
});
