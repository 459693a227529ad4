import { describe, expect, it } from 'vitest';
import { placeOf, renderProfileSummary, summarizeProfile, type CpuProfile } from '../../bench/cpu/profile-summary.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(idle)') },
    { id: 2, callFrame: frame('handler', 'file:///work/main/src/wallets/wallet-routes.ts', 9) },
    { id: 3, callFrame: frame('lookup', 'file:///work/main/node_modules/find-my-way/index.js', 591) },
    { id: 4, callFrame: frame('(garbage collector)') },
  ],
  // Sample times (µs since start): 100, 1100, 2100, 3100, 9100.
  samples: [1, 2, 3, 2, 4],
  timeDeltas: [100, 1000, 1000, 1000, 6000],
};

describe('CPU profile summary', () => {
  it('says where code lives', () => {
    expect(placeOf(frame('x', 'file:///a/node_modules/@fastify/swagger/index.js'))).toBe('@fastify/swagger');
    expect(placeOf(frame('x', 'node:internal/streams/writable', 1))).toBe('node:internal/streams');
    expect(placeOf(frame('x', 'file:///work/main/src/lib/cents.ts'))).toBe('src/lib/cents.ts');
    expect(placeOf(frame('(program)'))).toBe('(program)');
  });

  it('adds self time by function and by place, without idle time', () => {
    const all = summarizeProfile(profile);
    expect(all.busyUs).toBe(9000);
    expect(all.places).toEqual([
      { name: '(garbage collector)', selfUs: 6000 }, { name: 'src/wallets/wallet-routes.ts', selfUs: 2000 }, { name: 'find-my-way', selfUs: 1000 },
    ]);
    expect(all.functions[1]).toEqual({ name: 'handler src/wallets/wallet-routes.ts:10', selfUs: 2000 });
  });

  it('keeps only the samples inside the measured windows, and renders µs per request', () => {
    const windowed = summarizeProfile(profile, 15, [[1, 3.5]]);
    expect(windowed.busyUs).toBe(3000);
    const text = renderProfileSummary(windowed, 30, 'x.cpuprofile');
    expect(text).toContain('busy 0.0 s during the measured runs, which answered 30 requests: 100.0 µs per request');
    expect(text).toContain('| src/wallets/wallet-routes.ts | 66.7% | 66.7 |');
  });
});
