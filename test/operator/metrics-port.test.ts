/**
 * Issue 15, bug 4: with the workers' metrics port (CLUSTER_METRICS_PORT, 9464) taken, the cluster
 * and the stack say once which variable to change, and start nothing (no worker left to fail
 * with a storm of `write EPIPE` on a closed channel).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';

const exitBoundMs = 30_000;
let taken: Server;
let takenPort = 0;
const stackDir = mkdtempSync(join(tmpdir(), 'wallet-metrics-port-'));

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', () => resolve()));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => taken.close(() => resolve()));
  rmSync(stackDir, { recursive: true, force: true });
});

function run(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOST: '0.0.0.0', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), exitBoundMs);
    child.once('exit', (code) => { clearTimeout(killer); resolve({ code, output }); });
  });
}

describe('a taken metrics port', () => {
  it('src/cluster.ts: one line naming CLUSTER_METRICS_PORT, exit 2, no worker started', async () => {
    const { code, output } = await run('src/cluster.ts', {
      DATABASE_URL: inject('databaseUrl'), MIGRATE_ON_START: 'false', PORT: String(await freePort()),
      WEB_CONCURRENCY: '2', CLUSTER_METRICS_PORT: String(takenPort),
    });
    expect(code).toBe(2);
    expect(output).toMatch(new RegExp(`:${takenPort}: the port is in use\\. Set CLUSTER_METRICS_PORT to a free port \\(0 turns this endpoint off\\)`));
    expect(output).not.toMatch(/EPIPE|starting \d+ worker/);
    expect(output.trim().split('\n')).toHaveLength(1);
  });

  it('npm run stack: refuses before starting anything, naming the variable', async () => {
    const { code, output } = await run('scripts/stack.ts', {
      STACK_DIR: stackDir, PORT: String(await freePort()), PGBOUNCER_PORT: String(await freePort()),
      CLUSTER_METRICS_PORT: String(takenPort), DATABASE_URL: '',
    });
    expect(code).toBe(2);
    expect(output.trim()).toBe(`[stack] port ${takenPort} (the workers' summed metrics) is already in use: ` +
      'stop what uses it or set CLUSTER_METRICS_PORT (0 turns it off)');
  });
});
