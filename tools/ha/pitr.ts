/**
 * Point-in-time recovery into a NEW, separate PostgreSQL instance: pgBackRest restores the backup
 * that precedes the target into an empty directory, replays archived WAL up to a named restore
 * point or a time, and promotes. The running cluster is not touched. The restored instance runs
 * alone: no archiving (it would write a new timeline into the cluster's repository), no
 * synchronous standby, its own port and socket directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { serverUser } from '../../src/db/server-user.js';
import type { HaClusterInfo } from './ha-cluster.js';
import { listBackups, lsnBytes, pgBackRest, readRestorePoints } from './pgbackrest.js';

const execFileAsync = promisify(execFile);
const recoveryTimeoutMs = 10 * 60_000;

export interface RestoreOptions {
  /** A restore point name (pg_create_restore_point) or an RFC 3339 time. */
  target: string;
  port: number;
  /** Empty or missing directory for the new instance. */
  dir: string;
  log(message: string): void;
}

export interface RestoredInstance {
  dataDir: string;
  port: number;
  /** The cluster's superuser (restored with the data). */
  url: string;
  stop(): Promise<void>;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-8).join('\n');
  } catch {
    return '(no log)';
  }
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

export function targetType(target: string): 'time' | 'name' {
  return rfc3339.test(target) ? 'time' : 'name';
}

/** The newest backup that ends before the target (a later one cannot be rolled back to it). */
async function backupBefore(info: HaClusterInfo, target: string, type: 'time' | 'name'): Promise<string> {
  const backups = await listBackups(info);
  if (backups.length === 0) throw new Error('the repository has no backup yet: run `npm run backup` first');
  let usable = backups;
  if (type === 'time') {
    const at = Date.parse(target);
    usable = backups.filter((b) => Date.parse(b.stop) < at);
  } else {
    const point = readRestorePoints(info).filter((p) => p.name === target).at(-1);
    if (!point) throw new Error(`no restore point named ${JSON.stringify(target)} in ${info.pgBackRest.repo}/../restore-points.json ` +
      '(create them with `npm run backup -- --restore-point NAME`)');
    usable = backups.filter((b) => lsnBytes(b.stopLsn) <= lsnBytes(point.lsn));
  }
  const chosen = usable.at(-1);
  if (!chosen) throw new Error(`no backup ends before ${JSON.stringify(target)}: the oldest ends at ${backups[0]!.stop} (${backups[0]!.stopLsn})`);
  return chosen.label;
}

export async function restoreInstance(info: HaClusterInfo, superuserPassword: string, options: RestoreOptions): Promise<RestoredInstance> {
  const runAs = await serverUser();
  const home = resolve(options.dir);
  const dataDir = join(home, 'data');
  const socketDir = join(home, 'run');
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) throw new Error(`${dataDir} is not empty: choose another --dir`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(socketDir, { recursive: true, mode: 0o755 });
  if (runAs) await execFileAsync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, home]);

  const type = targetType(options.target);
  const set = await backupBefore(info, options.target, type);
  // recovery_target_time wants PostgreSQL's form: a space, not 'T'; an offset, not 'Z'.
  const target = type === 'time' ? options.target.replace('T', ' ').replace(/Z$/, '+00') : options.target;
  const started = Date.now();
  // --archive-mode=off: the copy must never push WAL into the cluster's repository.
  await pgBackRest(info, undefined, [
    `--pg1-path=${dataDir}`, `--type=${type}`, `--target=${target}`, '--target-action=promote',
    '--archive-mode=off', `--set=${set}`, 'restore',
  ]);
  options.log(`restored backup ${set} for ${type} target ${JSON.stringify(options.target)} into ${dataDir} (${Date.now() - started} ms)`);

  // Patroni's postgresql.conf came with the files: override what belongs to the old node.
  const settings: Record<string, string> = {
    port: String(options.port), listen_addresses: '127.0.0.1', unix_socket_directories: socketDir,
    synchronous_standby_names: '', archive_mode: 'off', hba_file: join(dataDir, 'pg_hba.conf'),
    ident_file: join(dataDir, 'pg_ident.conf'), cluster_name: `restore-${options.port}`, hot_standby: 'on',
  };
  const serverArgs = Object.entries(settings).map(([k, v]) => `-c ${k}='${v}'`).join(' ');
  const pgCtl = join(info.postgresBinDir, 'pg_ctl');
  const logFile = join(home, 'postgres.log');
  await execFileAsync(pgCtl, ['start', '-D', dataDir, '-l', logFile, '-w', '-t', String(recoveryTimeoutMs / 1000), '-o', serverArgs],
    { ...(runAs ?? {}), timeout: recoveryTimeoutMs + 10_000, cwd: home }).catch(() => {
    // A time target with no later commit in the archive ends recovery "before the target": the
    // archive must hold WAL past the target (any later write, then a WAL switch or a backup).
    throw new Error(`the restored instance did not start; last lines of ${logFile}:\n${tail(logFile)}`);
  });
  const url = `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${options.port}/postgres`;
  const stop = async () => {
    await execFileAsync(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], { ...(runAs ?? {}), timeout: 70_000 }).catch(() => undefined);
  };

  // Replay ends at the target, then the server promotes itself (recovery_target_action = promote).
  const deadline = Date.now() + recoveryTimeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const r = await client.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
      if (!r.rows[0]!.recovering) break;
    } catch { /* still starting */ } finally {
      await client.end().catch(() => undefined);
    }
    const running = await execFileAsync(pgCtl, ['status', '-D', dataDir], { ...(runAs ?? {}) }).then(() => true, () => false);
    if (!running) throw new Error(`the restored instance stopped during recovery; last lines of ${logFile}:\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the restored instance did not finish recovery within ${recoveryTimeoutMs} ms (see ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  options.log(`recovered and promoted on 127.0.0.1:${options.port} in ${Date.now() - started} ms; log ${logFile}`);
  return { dataDir, port: options.port, url, stop };
}
