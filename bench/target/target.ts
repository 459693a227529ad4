/**
 * What the harness measures: the service it starts itself on the embedded PostgreSQL (default),
 * a running service given by --url/--db-url, or (--via-pgbouncer) the service behind the local
 * PgBouncer stack.
 */
import type { BenchOptions } from '../options.js';
import { startLocalService } from './local-service.js';

export interface Target {
  kind: 'embedded' | 'url' | 'pgbouncer';
  baseUrl: string;
  /** PostgreSQL itself (never PgBouncer): for the checks and pgbench. */
  databaseUrl: string;
  /** The service's process id, when the harness started it (memory sampling). */
  pid?: number;
  stop(): Promise<void>;
}

export async function startTarget(options: BenchOptions, log: (message: string) => void): Promise<Target> {
  if (options.url && options.dbUrl) {
    return { kind: 'url', baseUrl: options.url.replace(/\/$/, ''), databaseUrl: options.dbUrl, stop: async () => {} };
  }
  if (options.viaPgbouncer) {
    throw new Error('--via-pgbouncer needs the local PgBouncer stack (scripts/stack.ts, src/topology/), which has not landed yet');
  }
  const service = await startLocalService({ log });
  return { kind: 'embedded', baseUrl: service.baseUrl, databaseUrl: service.databaseUrl, pid: service.pid, stop: service.stop };
}
