import { describe, expect, it } from 'vitest';
import { cpuTicks, parseProcStat, readProcesses, startCpuMeter, tree, type ProcStat } from '../../bench/cpu/proc-cpu.js';

// 52 fields as the kernel writes them; the name holds a space and a parenthesis.
const statLine = (pid: number, comm: string, ppid: number, utime: number, stime: number, cutime = 0, cstime = 0) =>
  `${pid} (${comm}) S ${ppid} 1 1 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 1234 1000 100 ` +
  Array.from({ length: 30 }, () => '0').join(' ');

const p = (pid: number, ppid: number, own: number, reaped = 0, comm = 'x'): ProcStat => ({ pid, ppid, comm, ownTicks: own, reapedTicks: reaped });

describe('CPU time from /proc', () => {
  it('reads pid, parent, name and ticks from a stat line', () => {
    expect(parseProcStat(statLine(42, 'postgres: wallet (x)', 7, 150, 50, 30, 10)))
      .toEqual({ pid: 42, ppid: 7, comm: 'postgres: wallet (x)', ownTicks: 200, reapedTicks: 40 });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('sums the service without PostgreSQL, and PostgreSQL with what the postmaster reaped', () => {
    const processes = [
      p(1, 0, 999), // the harness
      p(10, 1, 500, 0, 'node'), // the service
      p(11, 10, 3, 0, 'runuser'),
      p(12, 11, 20, 700, 'postgres'), // postmaster; 700 ticks of exited backends
      p(13, 12, 100, 0, 'postgres'), p(14, 12, 50, 0, 'postgres'),
      p(20, 1, 80, 0, 'node'), // the ceiling server
    ];
    expect(tree(processes, 12).map((x) => x.pid)).toEqual([12, 13, 14]);
    expect(cpuTicks(processes, { service: 10, postgres: 12, other: 20 })).toEqual({ service: 503, postgres: 870, other: 80 });
    expect(cpuTicks(processes, { service: 99 })).toEqual({ service: undefined, postgres: undefined, other: undefined });
  });

  it('measures this process on this machine', () => {
    expect(readProcesses().some((x) => x.pid === process.pid)).toBe(true);
    const meter = startCpuMeter({ other: process.pid });
    const until = performance.now() + 300;
    let spin = 0;
    while (performance.now() < until) spin++;
    const used = meter.stop().other!;
    expect(spin).toBeGreaterThan(0);
    expect(used).toBeGreaterThan(0); // the machine is shared: only some of the 300 ms may be ours
    expect(used).toBeLessThan(1);
  });
});
