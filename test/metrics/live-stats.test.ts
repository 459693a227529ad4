/** The /dashboard numbers: business refusals are not API errors, and a worker says it is one. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveStats, type LiveStatsOptions } from '../../src/metrics/live-stats.js';

const options = (worker: LiveStatsOptions['worker'] = null): LiveStatsOptions => ({
  intervalMs: 1000, historyLength: 10, latencySamplesMax: 100, walletsTrackedMax: 10, busiestWindowBuckets: 5,
  busiestListed: 3, readPool: () => ({ total: 1, idle: 1, waiting: 0 }), worker,
});

afterEach(() => { vi.useRealTimers(); });

describe('LiveStats', () => {
  it('counts an insufficient-funds refusal as an answer, not as a 4xx error', () => {
    vi.useFakeTimers();
    const live = new LiveStats(options());
    live.recordRequest(1, 200);
    live.recordRequest(1, 400, true); // refused by a business rule
    live.recordRequest(1, 400, true);
    live.recordRequest(1, 422); // malformed request: a client error
    live.recordRequestOutcome('REJECTED', 'w');
    vi.advanceTimersByTime(1000);
    const snapshot = live.snapshot();
    live.stop();
    expect(snapshot.error_4xx_percent.at(-1)).toBe(25);
    expect(snapshot.error_5xx_percent.at(-1)).toBe(0);
    expect(snapshot.operations_per_second.REJECTED.at(-1)).toBe(1);
  });

  it('tells which worker its numbers belong to', () => {
    const live = new LiveStats(options({ id: 1, count: 2 }));
    expect(live.snapshot().worker).toEqual({ id: 1, count: 2 });
    live.stop();
    const single = new LiveStats(options());
    expect(single.snapshot().worker).toBeNull();
    single.stop();
  });
});
