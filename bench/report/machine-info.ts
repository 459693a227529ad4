/** Where the numbers were measured: recorded in the JSON and the table header. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import type pg from 'pg';
import type { MachineInfo } from './types.js';

const settingsRecorded = ['synchronous_commit', 'fsync', 'wal_sync_method', 'max_connections', 'shared_buffers', 'commit_delay'];

export async function machineInfo(db: pg.Pool, pgbench: string | undefined): Promise<MachineInfo> {
  const version = await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  const settings = await db.query<{ name: string; setting: string; unit: string | null }>(
    'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)', [settingsRecorded]);
  const postgresSettings: Record<string, string> = {};
  for (const row of settings.rows) postgresSettings[row.name] = row.unit ? `${row.setting} (${row.unit})` : row.setting;
  const quiet = (file: string, args: string[]) => {
    try {
      return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const require = createRequire(import.meta.url);
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    postgres: version.rows[0]?.v ?? 'unknown',
    pgbench: pgbench ? quiet(pgbench, ['--version']) : undefined,
    autocannon: (require('autocannon/package.json') as { version: string }).version,
    loadAverageAtStart: loadavg(),
    gitCommit: quiet('git', ['rev-parse', 'HEAD']),
    postgresSettings,
  };
}
