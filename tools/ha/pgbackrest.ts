/**
 * pgBackRest against the HA cluster: one local repository shared by the three nodes (they run on
 * this machine). Every command is pointed at the node that is primary now (pg1-path, pg1-port,
 * pg1-socket-path), so backups follow a failover. Runs as the `postgres` user, over the node's
 * Unix socket (pg_hba: local peer), so no password is involved.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { serverUser as unprivilegedUser } from '../../src/db/server-user.js';
import type { HaClusterInfo } from './ha-cluster.js';

const execFileAsync = promisify(execFile);
const commandTimeoutMs = 15 * 60_000;

export interface PrimaryRef {
  name: string;
  pgPort: number;
  dataDir: string;
  socketDir: string;
}

/** The node whose Patroni REST `/primary` answers 200. */
export async function findPrimary(info: HaClusterInfo): Promise<PrimaryRef> {
  for (const node of info.nodes) {
    try {
      const res = await fetch(`${node.restUrl}/primary`, { signal: AbortSignal.timeout(1500) });
      if (res.status === 200) return { name: node.name, pgPort: node.pgPort, dataDir: node.dataDir, socketDir: join(node.dataDir, '..', 'run') };
    } catch { /* next */ }
  }
  throw new Error('no node answers 200 on /primary: is the HA stack running?');
}

export async function pgBackRest(info: HaClusterInfo, primary: PrimaryRef | undefined, args: string[]): Promise<string> {
  const runAs = await unprivilegedUser();
  const target = primary ? [`--pg1-path=${primary.dataDir}`, `--pg1-port=${primary.pgPort}`, `--pg1-socket-path=${primary.socketDir}`] : [];
  try {
    const { stdout, stderr } = await execFileAsync('pgbackrest', [
      `--config=${info.pgBackRest.config}`, `--stanza=${info.pgBackRest.stanza}`, ...target, ...args,
    ], { ...(runAs ?? {}), timeout: commandTimeoutMs, maxBuffer: 64 * 1024 * 1024, cwd: '/' });
    return `${stdout}${stderr}`;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`pgbackrest ${args[0]} failed: ${[e.stderr, e.stdout].filter(Boolean).join('\n').trim() || e.message}`);
  }
}

/** Creates the stanza on first start (WAL archiving fails until it exists); a no-op afterwards. */
export async function ensureStanza(info: HaClusterInfo, _superuserPassword: string, log: (m: string) => void): Promise<void> {
  const primary = await findPrimary(info);
  const started = Date.now();
  await pgBackRest(info, primary, ['stanza-create']);
  log(`stanza ${info.pgBackRest.stanza} ready (${Date.now() - started} ms), repository ${info.pgBackRest.repo}`);
}

export type BackupType = 'full' | 'diff' | 'incr';

export interface BackupEntry {
  label: string;
  type: string;
  /** When the backup ended (ISO) and the WAL position at which it is consistent. */
  stop: string;
  stopLsn: string;
}

/** The backups in the repository, oldest first (empty before the first backup). */
export async function listBackups(info: HaClusterInfo): Promise<BackupEntry[]> {
  const out = await pgBackRest(info, undefined, ['--output=json', 'info']);
  const stanzas = JSON.parse(out) as Array<{ backup?: Array<{ label: string; type: string; timestamp: { stop: number }; lsn: { stop: string } }> }>;
  return (stanzas[0]?.backup ?? []).map((b) => ({
    label: b.label, type: b.type, stop: new Date(b.timestamp.stop * 1000).toISOString(), stopLsn: b.lsn.stop,
  }));
}

/** An LSN ("16/B374D848") as a number of bytes, to compare positions. */
export function lsnBytes(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

export interface RestorePointEntry {
  name: string;
  lsn: string;
  time: string;
}

/**
 * Restore points created by `npm run backup -- --restore-point`, kept beside the repository:
 * pgBackRest restores a named target from the newest backup unless told which one (--set), and a
 * backup taken after the point cannot reach it, so the restore looks the point's position up here.
 */
export const restorePointsFile = (info: HaClusterInfo) => join(info.pgBackRest.repo, '..', 'restore-points.json');

export function readRestorePoints(info: HaClusterInfo): RestorePointEntry[] {
  return existsSync(restorePointsFile(info)) ? JSON.parse(readFileSync(restorePointsFile(info), 'utf8')) as RestorePointEntry[] : [];
}

/**
 * One backup of the current primary: full when the repository has none yet, else the type asked
 * for (incremental by default). pgBackRest checks that WAL archiving works before it starts.
 */
export async function backup(info: HaClusterInfo, type: BackupType | undefined, log: (m: string) => void): Promise<string> {
  const primary = await findPrimary(info);
  const chosen: BackupType = (await listBackups(info)).length === 0 ? 'full' : type ?? 'incr';
  const started = Date.now();
  await pgBackRest(info, primary, [`--type=${chosen}`, 'backup']);
  const label = (await listBackups(info)).at(-1)!.label;
  log(`${chosen} backup ${label} of ${primary.name} in ${Date.now() - started} ms`);
  return label;
}

const archiveWaitMs = 60_000;

/**
 * A named restore point on the primary. Its WAL segment is switched out and the call returns once
 * that segment is in the archive, so a restore to the point can start right away.
 */
export async function createRestorePoint(info: HaClusterInfo, primaryUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: primaryUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const r = await client.query<{ lsn: string }>('SELECT pg_create_restore_point($1)::text AS lsn', [name]);
    const w = await client.query<{ segment: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS segment');
    const segment = w.rows[0]!.segment;
    const deadline = Date.now() + archiveWaitMs;
    for (;;) {
      const a = await client.query<{ last: string | null }>('SELECT last_archived_wal AS last FROM pg_stat_archiver');
      if ((a.rows[0]!.last ?? '') >= segment) break;
      if (Date.now() > deadline) throw new Error(`WAL segment ${segment} was not archived within ${archiveWaitMs} ms (see pg_stat_archiver)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lsn = r.rows[0]!.lsn;
    writeFileSync(restorePointsFile(info), JSON.stringify([...readRestorePoints(info), { name, lsn, time: new Date().toISOString() }], null, 2));
    return lsn;
  } finally {
    await client.end();
  }
}
