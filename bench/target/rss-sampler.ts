/** Samples a process's resident memory from /proc/<pid>/status (Linux). */
import { readFileSync } from 'node:fs';

export interface MemoryReading {
  /** Highest VmRSS seen by the sampler while it ran. */
  peakRssBytes: number;
  /** The kernel's high-water mark (VmHWM) for the process's whole life, read at stop. */
  lifetimeHwmBytes: number;
  samples: number;
}

export function readStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function sampleRss(pid: number, intervalMs = 100): { stop(): MemoryReading } {
  let peakKb = 0;
  let samples = 0;
  const take = () => {
    const kb = readStatusKb(pid, 'VmRSS');
    if (kb !== undefined) {
      samples++;
      peakKb = Math.max(peakKb, kb);
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peakRssBytes: peakKb * 1024, lifetimeHwmBytes: (readStatusKb(pid, 'VmHWM') ?? 0) * 1024, samples };
    },
  };
}
