/**
 * The reference: pgbench on the same PostgreSQL, one transaction per operation, durable commits
 * (the server's synchronous_commit as configured, which the report records), on tables of the
 * same shape as wallets/operations that the harness creates and drops.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
export type PgbenchWorkload = 'hot' | 'spread' | 'transfer-hot' | 'transfer-spread';
const scripts: Record<PgbenchWorkload, string> = {
  hot: join(here, 'hot-row.sql'), spread: join(here, 'spread.sql'),
  'transfer-hot': join(here, 'transfer-hot.sql'), 'transfer-spread': join(here, 'transfer-spread.sql'),
};
/** How the report names each workload. */
export const workloadLabels: Record<PgbenchWorkload, string> = {
  hot: 'one hot row', spread: '10,000 rows', 'transfer-hot': 'transfers, two hot rows', 'transfer-spread': 'transfers, 10,000 rows',
};

export interface PgbenchResult {
  workload: PgbenchWorkload;
  clients: number;
  tps: number;
  latencyAvgMs: number;
  transactions: number;
  failed: number;
  /** PostgreSQL's CPU per transaction (µs), from /proc, when it runs on this machine. */
  postgresCpuUs?: number;
}

/** The pgbench binary: $PGBENCH, then the newest /usr/lib/postgresql/N/bin/pgbench, then PATH. */
export function findPgbench(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PGBENCH) return env.PGBENCH;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const candidate = join(root, version, 'bin', 'pgbench');
      if (existsSync(candidate)) return candidate;
    }
  }
  return (env.PATH ?? '').split(':').map((dir) => join(dir, 'pgbench')).find((candidate) => existsSync(candidate));
}

/** Reads tps, average latency, processed and failed transactions from pgbench's summary. */
export function parsePgbenchOutput(output: string): { tps: number; latencyAvgMs: number; transactions: number; failed: number } {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output) ?? /tps = ([\d.]+)/.exec(output);
  const latency = /latency average = ([\d.]+) ms/.exec(output);
  const processed = /number of transactions actually processed: (\d+)/.exec(output);
  const failed = /number of failed transactions: (\d+)/.exec(output);
  if (!tps?.[1] || !processed?.[1]) throw new Error(`cannot read pgbench output:\n${output.slice(-800)}`);
  return {
    tps: Number(tps[1]),
    latencyAvgMs: latency?.[1] ? Number(latency[1]) : Number.NaN,
    transactions: Number(processed[1]),
    failed: failed?.[1] ? Number(failed[1]) : 0,
  };
}

export async function setUpPgbenchTables(db: pg.Pool): Promise<void> {
  await db.query(readFileSync(join(here, 'schema.sql'), 'utf8'));
}

/** Before the transfer workloads: every reference wallet funded (transfer-setup.sql). */
export async function fundPgbenchWallets(db: pg.Pool): Promise<void> {
  await db.query(readFileSync(join(here, 'transfer-setup.sql'), 'utf8'));
}

export async function dropPgbenchTables(db: pg.Pool): Promise<void> {
  await db.query(readFileSync(join(here, 'teardown.sql'), 'utf8'));
}

export async function runPgbench(options: {
  pgbench: string; databaseUrl: string; workload: PgbenchWorkload; clients: number; durationS: number; cores: number;
}): Promise<PgbenchResult> {
  const url = new URL(options.databaseUrl);
  const args = [
    '-n', '-M', 'simple',
    '-c', String(options.clients), '-j', String(Math.min(options.clients, options.cores)),
    '-T', String(options.durationS), '-f', scripts[options.workload],
    '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username),
    decodeURIComponent(url.pathname.slice(1)) || 'postgres',
  ];
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password), PGSSLMODE: 'disable', LC_ALL: 'C' };
  const output = await new Promise<string>((resolve, reject) => {
    execFile(options.pgbench, args, { env, timeout: (options.durationS + 60) * 1000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`pgbench failed: ${error.message}\n${stderr.slice(-800)}`));
        else resolve(`${stdout}\n${stderr}`);
      });
  });
  return { workload: options.workload, clients: options.clients, ...parsePgbenchOutput(output) };
}
