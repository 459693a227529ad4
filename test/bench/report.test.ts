import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/options.js';
import { parsePgbenchOutput, type PgbenchResult } from '../../bench/pgbench/run-pgbench.js';
import { bestHotRow, compare, referenceFor } from '../../bench/report/compare.js';
import { renderMarkdown } from '../../bench/report/markdown.js';
import { niceMax, renderSvgChart } from '../../bench/report/svg-chart.js';
import type { BenchReport, ScenarioResult } from '../../bench/report/types.js';

const pgbenchOutput = `pgbench (15.18 (Debian 15.18-0+deb12u1), server 17.10)
transaction type: bench/pgbench/hot-row.sql
scaling factor: 1
query mode: simple
number of clients: 10
number of threads: 2
maximum number of tries: 1
duration: 2 s
number of transactions actually processed: 4222
number of failed transactions: 0 (0.000%)
latency average = 4.731 ms
initial connection time = 12.345 ms
tps = 2113.689240 (without initial connection time)
`;

const pgbench: PgbenchResult[] = [
  { workload: 'hot', clients: 1, tps: 1900, latencyAvgMs: 0.5, transactions: 1, failed: 0 },
  { workload: 'hot', clients: 10, tps: 2200, latencyAvgMs: 4.5, transactions: 1, failed: 0 },
  { workload: 'hot', clients: 100, tps: 1000, latencyAvgMs: 100, transactions: 1, failed: 0 },
  { workload: 'spread', clients: 100, tps: 4800, latencyAvgMs: 20, transactions: 1, failed: 0 },
];

function scenario(overrides: Partial<ScenarioResult>): ScenarioResult {
  return {
    scenario: 'hot-deposit', title: 'Deposits, one hot wallet', connections: 100, durationS: 2, responses: 20000,
    requestsPerS: 10000, latencyMs: { p50: 8, p90: 12.5, p99: 31, max: 140, mean: 9 },
    status2xx: 20000, status4xx: 0, status5xx: 0, errors: 0, timeouts: 0,
    check: { ok: true, problems: [], summary: 'ok' }, ...overrides,
  };
}

function report(scenarios: ScenarioResult[]): BenchReport {
  return {
    startedAt: '2026-11-25T12:00:00.000Z', finishedAt: '2026-11-25T12:02:00.000Z', mode: 'quick',
    target: { kind: 'embedded', baseUrl: 'http://127.0.0.1:1' },
    settings: { durationS: 4, warmupS: 1, connections: [10, 100, 500], scenarios: ['hot-deposit'] },
    machine: {
      cores: 2, cpuModel: 'Test CPU <x>', memoryBytes: 2 ** 33, os: 'Linux', node: 'v20.20.2', postgres: '17.10',
      autocannon: '9.0.0', loadAverageAtStart: [1, 2, 3], postgresSettings: { synchronous_commit: 'on', fsync: 'on' },
    },
    pgbench, scenarios, ok: scenarios.every((s) => s.check.ok), problems: [],
  };
}

describe('bench report', () => {
  it('reads pgbench output', () => {
    expect(parsePgbenchOutput(pgbenchOutput)).toEqual({ tps: 2113.68924, latencyAvgMs: 4.731, transactions: 4222, failed: 0 });
    expect(() => parsePgbenchOutput('connection refused')).toThrow(/cannot read pgbench output/);
  });

  it('compares with pgbench at the same clients, or the largest run below, and with the best hot row', () => {
    expect(referenceFor(pgbench, 'hot', 10)?.tps).toBe(2200);
    expect(referenceFor(pgbench, 'hot', 500)?.clients).toBe(100);
    expect(referenceFor(pgbench, 'spread', 10)).toBeUndefined();
    expect(bestHotRow(pgbench)?.clients).toBe(10);
    expect(compare(8800, bestHotRow(pgbench))?.ratio).toBe(4);
  });

  it('renders the Markdown table with ratios and marks a failed check', () => {
    const hot = scenario({ reference: { workload: 'hot', clients: 100, tps: 1000, ratio: 10 }, hotBest: { clients: 10, tps: 2200, ratio: 10000 / 2200 },
      memory: { peakRssBytes: 150 * 2 ** 20, lifetimeHwmBytes: 160 * 2 ** 20, samples: 10 } });
    const failed = scenario({ connections: 500, status5xx: 3, status4xx: 1, check: { ok: false, problems: ['LOST UPDATE: op x'], summary: '' },
      reference: { workload: 'hot', clients: 100, tps: 1000, ratio: 10 } });
    const text = renderMarkdown(report([hot, failed]));
    expect(text).toContain('| Deposits, one hot wallet | 100 | 10,000 | 8 | 12.5 | 31 | 140 | 0 | 0 | 10.00x of 1,000 | 4.55x | ok |');
    expect(text).toContain('| 500 | 10,000 | 8 | 12.5 | 31 | 140 | 4 (5xx: 3) | 0 | 10.00x of 1,000 (100c) |');
    expect(text).toContain('peak RSS 150 MiB');
    expect(text).toContain('**Run FAILED:**');
    expect(text).toContain('LOST UPDATE: op x');
  });

  it('draws an SVG chart with escaped text and one bar per run', () => {
    const svg = renderSvgChart(report([scenario({}), scenario({ connections: 10, requestsPerS: 3000 })]));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Test CPU &#60;x&#62;');
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(4); // 2 runs x (throughput, p99)
    expect(niceMax(7300)).toBe(10000);
    expect(niceMax(1800)).toBe(2000);
  });

  it('parses options: defaults, --quick, and refusals', () => {
    expect(parseBenchOptions([])).toMatchObject({ mode: 'full', durationS: 20, connections: [10, 100, 500], pgbench: true });
    expect(parseBenchOptions(['--quick'])).toMatchObject({ mode: 'quick', durationS: 4, warmupS: 1 });
    expect(parseBenchOptions(['--connections', '100,10', '--duration', '3'])).toMatchObject({ mode: 'custom', connections: [10, 100], durationS: 3 });
    expect(() => parseBenchOptions(['--url', 'http://x'])).toThrow(/--db-url/);
    expect(() => parseBenchOptions(['--duration', '0'])).toThrow(/positive/);
    expect(() => parseBenchOptions(['--bogus'])).toThrow();
  });
});
