/**
 * pgBackRest against the HA cluster: one local repository shared by the three nodes (they run on
 * this machine). Every command is pointed at the node that is primary now (pg1-path, pg1-port,
 * pg1-socket-path), so backups follow a failover. Runs as the `postgres` user, over the node's
 * Unix socket (pg_hba: local peer), so no password is involved.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
