/**
 * Settings of `npm run stack` and where it records its endpoints. Apart from the stack itself so
 * that `npm run pools` (also shipped in the image) reads them without loading the launcher.
 */
import { join, resolve } from 'node:path';
import { HOST_DEFAULT } from '../../src/config/config.js';
import { projectRoot } from '../../src/db/migrations.js';

export interface StackSettings {
  stackDir: string;
  /** Direct PostgreSQL URL of a role that may migrate and ALTER ROLE; empty: embedded. */
  databaseUrl: string | undefined;
  embeddedPort: number;
  host: string;
  port: number;
  pgbouncerPort: number;
  /** The workers' summed metrics (src/cluster.ts); 0: off. */
  clusterMetricsPort: number;
  webConcurrency: number;
  logLevel: string;
}

export function stackSettings(env: NodeJS.ProcessEnv): StackSettings {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number (got ${JSON.stringify(raw)})`);
    return Number(raw);
  };
  return {
    stackDir: resolve(projectRoot, env.STACK_DIR || '.data/stack'),
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedPort: int('STACK_PG_PORT', 54339),
    host: env.HOST || HOST_DEFAULT,
    port: int('PORT', 8000),
    pgbouncerPort: int('PGBOUNCER_PORT', 6432),
    clusterMetricsPort: int('CLUSTER_METRICS_PORT', 9464),
    webConcurrency: int('WEB_CONCURRENCY', 2),
    logLevel: env.LOG_LEVEL || 'info',
  };
}

/** What `npm run pools` reads to find the running stack. Mode 0600: it holds the console password. */
export interface StackEndpoints {
  apiUrl: string;
  pgbouncerConsoleUrl: string;
  postgresUrl: string;
  pids: { app?: number; pgbouncer?: number };
}

export const endpointsFile = (stackDir: string) => join(stackDir, 'stack.json');
