/**
 * Who uses an embedded cluster. Every process that starts or joins the cluster (npm start,
 * migrate, reconcile, the stack, the harnesses) holds a lease: a file naming its pid. The cluster
 * is stopped only by the last live holder, and a running postmaster with no live holder is an
 * orphan left by a killed run, the only kind that may be stopped on sight. A lock file serialises
 * start, join and stop, so no process stops the server while another is joining it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../lib/wait-for.js';

/** Bound on waiting for another process's start or stop (pg_ctl's own bounds are 60 s). */
const lockWaitMs = 150_000;

interface Lease {
  pid: number;
  /** Start time of the process (Linux /proc), so a reused pid is not taken for the holder. */
  startTicks: string | undefined;
  command: string;
}

function startTicks(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the ")" that closes the command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(lease: Pick<Lease, 'pid' | 'startTicks'>): boolean {
  try {
    process.kill(lease.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTicks(lease.pid);
  return lease.startTicks === undefined || now === undefined || now === lease.startTicks;
}

export class ClusterLeases {
  private readonly leaseDir: string;
  private readonly lockFile: string;

  /** `metaDir`: a directory of ours that belongs to the cluster. */
  constructor(metaDir: string) {
    this.leaseDir = join(metaDir, 'leases');
    this.lockFile = join(metaDir, 'lock');
    mkdirSync(this.leaseDir, { recursive: true, mode: 0o755 });
  }

  /** Runs `action` holding the cluster's lock (a lock left by a dead process is taken over). */
  async withLock<T>(action: () => Promise<T>): Promise<T> {
    const me = JSON.stringify({ pid: process.pid, startTicks: startTicks(process.pid) });
    await waitFor(() => this.tryLock(me), {
      what: `the embedded cluster's lock (${this.lockFile}, held by another start or stop)`, timeoutMs: lockWaitMs, intervalMs: 100,
    });
    try {
      return await action();
    } finally {
      rmSync(this.lockFile, { force: true });
    }
  }

  private tryLock(content: string): true | undefined {
    try {
      const fd = openSync(this.lockFile, 'wx', 0o600);
      writeSync(fd, content);
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: Lease | undefined;
    try {
      holder = JSON.parse(readFileSync(this.lockFile, 'utf8')) as Lease;
    } catch {
      return undefined; // being written right now
    }
    if (!alive(holder)) rmSync(this.lockFile, { force: true });
    return undefined;
  }

  /** Records this process as a user of the cluster; returns the lease's id. */
  take(): string {
    const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const lease: Lease = { pid: process.pid, startTicks: startTicks(process.pid), command: process.argv.slice(1).join(' ') };
    const fd = openSync(join(this.leaseDir, id), 'wx', 0o600);
    writeSync(fd, JSON.stringify(lease));
    closeSync(fd);
    return id;
  }

  release(id: string): void {
    rmSync(join(this.leaseDir, id), { force: true });
  }

  /** Live holders; leases of dead processes are removed on the way. */
  live(): Lease[] {
    const holders: Lease[] = [];
    for (const id of readdirSync(this.leaseDir)) {
      const file = join(this.leaseDir, id);
      let lease: Lease;
      try {
        lease = JSON.parse(readFileSync(file, 'utf8')) as Lease;
      } catch {
        rmSync(file, { force: true });
        continue;
      }
      if (alive(lease)) holders.push(lease);
      else rmSync(file, { force: true });
    }
    return holders;
  }

  /** Forgets every lease: the server they were for is gone (we are about to start a new one). */
  clear(): void {
    for (const id of readdirSync(this.leaseDir)) rmSync(join(this.leaseDir, id), { force: true });
  }
}

export function describeHolders(holders: Lease[]): string {
  return holders.map((h) => `pid ${h.pid} (${h.command.slice(0, 80)})`).join(', ');
}
