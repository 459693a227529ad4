/**
 * Under node:cluster (WEB_CONCURRENCY workers on one port) a scrape of /metrics reaches one worker
 * and sees only its numbers. The primary can instead serve the sum over all workers: it asks each
 * worker over the cluster IPC channel (prom-client's AggregatorRegistry) and answers on its own
 * port. Workers take part by registering their app's registry (registerMetrics does it).
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import client from 'prom-client';

/** In a cluster worker: answer the primary's metric requests from this registry. */
export function shareRegistryWithPrimary(registry: client.Registry): void {
  if (!cluster.isWorker) return;
  client.AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's worker-side IPC listener (it is not installed on import).
  new client.AggregatorRegistry();
}

export interface ClusterMetricsServer {
  port: number;
  close(): Promise<void>;
}

/** In the cluster primary: GET /metrics on `port` answers the workers' metrics, aggregated. */
export async function serveClusterMetrics(host: string, port: number): Promise<ClusterMetricsServer> {
  const aggregator = new client.AggregatorRegistry();
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      return;
    }
    aggregator.clusterMetrics().then(
      (text) => response.writeHead(200, { 'content-type': aggregator.contentType }).end(text),
      (error: Error) => response.writeHead(503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ detail: `Workers did not answer: ${error.message}` })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
