/**
 * What the harness measures: the service it starts itself on the embedded PostgreSQL (default),
 * a running service given by --url/--db-url, or (--via-pgbouncer) the service behind the local
 * PgBouncer stack.
 */
import { resolve } from 'node:path';
import type { BenchOptions } from '../options.js';
import { startLocalService, startServiceViaPgbouncer } from './local-service.js';

export interface Target {
  kind: 'embedded' | 'url' | 'pgbouncer';
  baseUrl: string;
  /** PostgreSQL itself (never PgBouncer): for the checks and pgbench. */
  databaseUrl: string;
  /** The service's process id, when the harness started it (memory sampling). */
  pid?: number;
  /** The service's last log lines, when the harness started it. */
  logTail(): string;
  stop(): Promise<void>;
}

export async function startTarget(
  options: BenchOptions, log: (message: string) => void, onCleanup: (cleanup: () => Promise<void>) => void,
): Promise<Target> {
  if (options.url && options.dbUrl) {
    return { kind: 'url', baseUrl: options.url.replace(/\/$/, ''), databaseUrl: options.dbUrl, logTail: () => '', stop: async () => {} };
  }
  const nodeArgs = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(options.cpuProfDir)}`] : [];
  if (options.viaPgbouncer) {
    const service = await startServiceViaPgbouncer({ log, nodeArgs, onCleanup });
    return { kind: 'pgbouncer', baseUrl: service.baseUrl, databaseUrl: service.databaseUrl, pid: service.pid, logTail: service.logTail, stop: service.stop };
  }
  const service = await startLocalService({ log, nodeArgs, onCleanup });
  return { kind: 'embedded', baseUrl: service.baseUrl, databaseUrl: service.databaseUrl, pid: service.pid, logTail: service.logTail, stop: service.stop };
}
