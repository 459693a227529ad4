/** Under node:cluster the primary serves /metrics summed over every worker. */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serveClusterMetrics } from '../../src/metrics/cluster-metrics.js';

describe('cluster metrics', () => {
  it('aggregates the workers\' registries on the primary\'s metrics port', async () => {
    expect(cluster.isPrimary).toBe(true);
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./cluster-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'], silent: true });
    const workers: Worker[] = [];
    const server = await serveClusterMetrics('127.0.0.1', 0);
    try {
      await Promise.all([2, 5].map((increment) => new Promise<void>((resolve, reject) => {
        const worker = cluster.fork({ WORKER_INCREMENT: String(increment) });
        workers.push(worker);
        worker.once('message', () => resolve());
        worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      })));
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('test_worker_requests_total{kind="a"} 7');
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      for (const w of workers) w.kill();
      await server.close();
    }
  });
});
