/**
 * CPU time of the processes under test, from /proc/<pid>/stat (Linux): utime + stime of each
 * process (all its threads), in clock ticks. PostgreSQL is the postmaster and its children (the
 * backends and the auxiliary processes); a backend that exits is reaped by the postmaster, whose
 * cutime + cstime then hold its CPU, so those count for the postmaster too. Pure parsing and
 * arithmetic here; readProcesses() is the one read of /proc.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, clock ticks. */
  ownTicks: number;
  /** cutime + cstime: children waited for, clock ticks. */
  reapedTicks: number;
}

/** Parses one /proc/<pid>/stat line; the command name may hold spaces and parentheses. */
export function parseProcStat(line: string): ProcStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = line.slice(close + 2).split(' ');
  // Fields after the name, counted from 3 (state): ppid is 4, utime 14, stime 15, cutime 16, cstime 17.
  const field = (n: number) => Number(rest[n - 3]);
  const stat = {
    pid: Number(line.slice(0, open).trim()), ppid: field(4), comm: line.slice(open + 1, close),
    ownTicks: field(14) + field(15), reapedTicks: field(16) + field(17),
  };
  return Object.values(stat).some((v) => typeof v === 'number' && !Number.isFinite(v)) ? undefined : stat;
}

/** Every process visible in /proc (those that vanish while being read are skipped). */
export function readProcesses(proc = '/proc'): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(readFileSync(`${proc}/${name}/stat`, 'utf8'));
      if (stat) out.push(stat);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** The process and all its descendants. */
export function tree(processes: readonly ProcStat[], rootPid: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const root = processes.find((p) => p.pid === rootPid);
  if (!root) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!.pid) ?? []));
  return out;
}

export interface CpuGroups {
  /** The service: its process and descendants, PostgreSQL's processes excepted. */
  service?: number;
  /** The postmaster. */
  postgres?: number;
  /** Any other process measured on its own (the HTTP ceiling server). */
  other?: number;
}

export type CpuTicks = Record<keyof CpuGroups, number | undefined>;

/** Ticks per group now: own time of every process in the group, plus what the postmaster reaped. */
export function cpuTicks(processes: readonly ProcStat[], groups: CpuGroups): CpuTicks {
  const postgres = groups.postgres === undefined ? [] : tree(processes, groups.postgres);
  const postgresPids = new Set(postgres.map((p) => p.pid));
  const sum = (list: ProcStat[]) => list.reduce((n, p) => n + p.ownTicks, 0);
  const root = (pid: number | undefined) => (pid === undefined ? undefined : processes.find((p) => p.pid === pid));
  const service = groups.service === undefined ? [] : tree(processes, groups.service).filter((p) => !postgresPids.has(p.pid));
  return {
    service: root(groups.service) ? sum(service) : undefined,
    postgres: root(groups.postgres) ? sum(postgres) + (root(groups.postgres)?.reapedTicks ?? 0) : undefined,
    other: root(groups.other) ? sum(tree(processes, groups.other!)) : undefined,
  };
}

let ticksPerS: number | undefined;

/** The kernel's clock ticks per second (getconf CLK_TCK; 100 on Linux almost everywhere). */
export function clockTicksPerS(): number {
  if (ticksPerS === undefined) {
    try {
      ticksPerS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerS = 100;
    }
  }
  return ticksPerS;
}

export interface CpuSeconds {
  service?: number;
  postgres?: number;
  other?: number;
}

/** Starts measuring; stop() returns the CPU seconds each group spent since. */
export function startCpuMeter(groups: CpuGroups): { stop(): CpuSeconds } {
  const before = cpuTicks(readProcesses(), groups);
  return {
    stop() {
      const after = cpuTicks(readProcesses(), groups);
      const hz = clockTicksPerS();
      const out: CpuSeconds = {};
      for (const key of ['service', 'postgres', 'other'] as const) {
        const a = before[key];
        const b = after[key];
        if (a !== undefined && b !== undefined) out[key] = Math.max(0, b - a) / hz;
      }
      return out;
    },
  };
}

/**
 * The postmaster of the database behind this pool, when it runs on this machine: the parent of
 * one of its backends. Undefined for a remote database (its backend is not in /proc).
 */
export async function findPostmasterPid(db: pg.Pool): Promise<number | undefined> {
  const backend = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  if (backend === undefined) return undefined;
  try {
    const stat = parseProcStat(readFileSync(`/proc/${backend}/stat`, 'utf8'));
    if (!stat || !/postgres/.test(stat.comm)) return undefined;
    const parent = parseProcStat(readFileSync(`/proc/${stat.ppid}/stat`, 'utf8'));
    return parent && /postgres|postmaster/.test(parent.comm) ? parent.pid : undefined;
  } catch {
    return undefined;
  }
}
