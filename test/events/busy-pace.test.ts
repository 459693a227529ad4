/**
 * BusyPace (the dispatcher's "money path first" rule) on a fake clock: sends go at once while the
 * event loop is not busy; while it is, they are spaced to the busy rate across all callers; a
 * share of 100% never yields. No timing: the fake clock records the sleeps.
 */
import { describe, expect, it } from 'vitest';
import { BusyPace, type PaceClock } from '../../src/webhooks/webhook-dispatcher.js';

/** `sleepAdvances`: a sleep moves the clock on (one caller at a time); off, concurrent callers all see the same now. */
function fakeClock(utilization: number[], sleepAdvances = true): PaceClock & { sleeps: number[]; advance(ms: number): void } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    advance(ms) { t += ms; },
    utilizationSinceLastSample: () => utilization.shift() ?? 0,
    async sleep(ms) { sleeps.push(ms); if (sleepAdvances) t += ms; },
  };
}

describe('BusyPace', () => {
  it('does not wait while the loop is not busy', async () => {
    const clock = fakeClock([0.3]);
    const pace = new BusyPace(0.7, 100, clock);
    clock.advance(250);
    for (let i = 0; i < 5; i++) await pace.turn();
    expect(clock.sleeps).toEqual([]);
  });

  it('spaces sends to the busy rate while busy, then goes at once again', async () => {
    const clock = fakeClock([0.95, 0.2]);
    const pace = new BusyPace(0.7, 100, clock); // 100/s: 10 ms apart
    clock.advance(250);
    for (let i = 0; i < 4; i++) await pace.turn();
    expect(clock.sleeps).toEqual([10, 10, 10]); // the first goes at once
    clock.advance(250); // next sample: not busy
    await pace.turn();
    await pace.turn();
    expect(clock.sleeps).toEqual([10, 10, 10]);
  });

  it('shares one pace among concurrent runs', async () => {
    const clock = fakeClock([0.95], false);
    const pace = new BusyPace(0.7, 50, clock); // 20 ms apart
    clock.advance(250);
    await Promise.all([pace.turn(), pace.turn(), pace.turn()]);
    expect(clock.sleeps.sort((a, b) => a - b)).toEqual([20, 40]);
  });

  it('never yields at 100%', async () => {
    const clock = fakeClock([1, 1]);
    const pace = new BusyPace(1, 1, clock);
    clock.advance(250);
    for (let i = 0; i < 3; i++) await pace.turn();
    expect(clock.sleeps).toEqual([]);
  });
});
