import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/options.js';
import { parsePgbenchOutput, type PgbenchResult } from '../../bench/pgbench/run-pgbench.js';
import { bestHotRow, compare, referenceFor } from '../../bench/report/compare.js';
import { renderMarkdown } from '../../bench/report/markdown.js';
import { describeRunOutput, planRunOutput, writeRunOutput } from '../../bench/report/run-output.js';
import { clientsText, niceMax, referenceLabels, renderSvgChart } from '../../bench/report/svg-chart.js';
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
      memory: { peakRssBytes: 150 * 2 ** 20, lifetimeHwmBytes: 160 * 2 ** 20, samples: 10 },
      ceiling: { requestsPerS: 30000, ratio: 1 / 3 }, cpu: { serviceUs: 91.6, postgresUs: 1234.4, serviceCores: 0.9, postgresCores: 0.5 } });
    const failed = scenario({ connections: 500, status5xx: 3, status4xx: 1, check: { ok: false, problems: ['LOST UPDATE: op x'], summary: '' },
      reference: { workload: 'hot', clients: 100, tps: 1000, ratio: 10 } });
    const text = renderMarkdown(report([hot, failed]));
    expect(text).toContain('| Deposits, one hot wallet | 100 | 10,000 | 8 | 12.5 | 31 | 140 | 0 | 0 | 10.00x of 1,000 | 4.55x | 33% | 92 | 1,234 | ok |');
    expect(text).toContain('| 500 | 10,000 | 8 | 12.5 | 31 | 140 | 4 (5xx: 3) | 0 | 10.00x of 1,000 (100c) | — | — | — | — | **FAILED** |');
    expect(text).toContain('| one hot row | 10 | 2,200 | 4.5 | — |');
    expect(text).toContain('peak RSS 150 MiB');
    expect(text).toContain('**Run FAILED:**');
    expect(text).toContain('LOST UPDATE: op x');
  });

  it('shows the HTTP ceiling table and the ceiling line on the chart', () => {
    const withCeiling: BenchReport = { ...report([scenario({})]), ceiling: [
      { connections: 10, requestsPerS: 12000, latencyMs: { p50: 0.4, p90: 1, p99: 2, max: 9, mean: 0.5 }, non2xx: 0, responseBytes: 160, cpu: { usPerRequest: 41.2, cores: 0.49 } },
      { connections: 100, requestsPerS: 29700, latencyMs: { p50: 3, p90: 4, p99: 6, max: 20, mean: 3.2 }, non2xx: 0, responseBytes: 160 },
    ] };
    const text = renderMarkdown(withCeiling);
    expect(text).toContain("service's own status, headers and 160-byte body");
    expect(text).toContain('| 10 | 12,000 | 0.4 | 2 | 0 | 41 |');
    expect(text).toContain('| 100 | 29,700 | 3 | 6 | 0 | — |');
    expect(renderSvgChart(withCeiling)).toContain('HTTP ceiling: 30k req/s (100 connections)');
  });

  it('draws an SVG chart with escaped text and one bar per run', () => {
    const svg = renderSvgChart(report([scenario({}), scenario({ connections: 10, requestsPerS: 3000 })]));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Test CPU &#60;x&#62;');
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(4); // 2 runs x (throughput, p99)
    expect(niceMax(7300)).toBe(10000);
    expect(niceMax(1800)).toBe(2000);
  });

  it('labels the pgbench line in the title row, above every bar, with "1 client" in the singular', () => {
    const one = { ...report([scenario({ requestsPerS: 1890 })]), pgbench: [{ ...pgbench[0]!, tps: 1900 }] };
    const svg = renderSvgChart(one);
    const label = /<text x="[\d.]+" y="([\d.]+)"[^>]*>pgbench best hot row: 1.9k TPS \(1 client\)<\/text>/.exec(svg);
    expect(label).not.toBeNull();
    const barTops = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)"[^>]*><title>/g)].map((m) => Number(m[1]));
    const valueLabels = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-size="9"/g)].map((m) => Number(m[1]));
    // Text baseline plus its 11 px height stays above the highest bar and the highest value label (9 px) of the panel.
    expect(Number(label![1])).toBeLessThan(Math.min(...barTops, ...valueLabels.map((y) => y - 9)));
    expect(clientsText(1)).toBe('1 client');
    expect(clientsText(100)).toBe('100 clients');
    expect(svg).not.toContain('(1 clients)');
  });

  it('lays several reference labels out right to left without overlap', () => {
    const parts = referenceLabels([
      { value: 1, label: 'pgbench best hot row: 3.5k TPS (10 clients)', colour: '#c00' },
      { value: 2, label: 'HTTP ceiling: 30k req/s', colour: '#555' },
    ], 58);
    const xs = parts.filter((p) => p.startsWith('<text')).map((p) => Number(/x="([\d.]+)"/.exec(p)![1]));
    const swatchLeft = Number(/x1="([\d.]+)"/.exec(parts[1]!)![1]);
    expect(xs[1]).toBeLessThan(swatchLeft);
  });

  it('parses options: defaults, --quick, and refusals', () => {
    expect(parseBenchOptions([])).toMatchObject({ mode: 'full', durationS: 20, connections: [10, 100, 500], pgbench: true, outDir: undefined, publish: false });
    expect(parseBenchOptions(['--quick', '--publish', '--out', '/tmp/x'])).toMatchObject({ mode: 'quick', publish: true, outDir: '/tmp/x' });
    expect(parseBenchOptions(['--quick'])).toMatchObject({ mode: 'quick', durationS: 4, warmupS: 1 });
    expect(parseBenchOptions(['--connections', '100,10', '--duration', '3'])).toMatchObject({ mode: 'custom', connections: [10, 100], durationS: 3 });
    expect(() => parseBenchOptions(['--url', 'http://x'])).toThrow(/--db-url/);
    expect(() => parseBenchOptions(['--duration', '0'])).toThrow(/positive/);
    expect(() => parseBenchOptions(['--bogus'])).toThrow();
  });
});

describe('bench and fault-suite run output', () => {
  const startedAt = '2026-11-25T12:00:00.123Z';

  it('writes a run to its own ignored folder unless told otherwise, and publishes only on request', () => {
    expect(planRunOutput({ root: '/repo', tool: 'bench', publish: false, startedAt }))
      .toEqual({ runDir: '/repo/bench/runs/2026-11-25T12-00-00-123Z', publishName: 'latest' });
    expect(planRunOutput({ root: '/repo', tool: 'faults', out: '/tmp/f', publish: true, startedAt }))
      .toEqual({ runDir: '/tmp/f', publishDir: '/repo/faults/results', publishName: 'latest' });
    expect(planRunOutput({ root: '/repo', tool: 'faults', publish: true, startedAt, kind: 'ha' }))
      .toEqual({ runDir: '/repo/faults/runs/2026-11-25T12-00-00-123Z-ha', publishDir: '/repo/faults/results', publishName: 'ha-latest' });
    expect(describeRunOutput({ runDir: '/repo/bench/runs/x', publishName: 'latest' }, '/repo')).toBe(
      'Results of this run: bench/runs/x/\nNot published: add --publish to replace the committed latest.* results');
    expect(describeRunOutput({ runDir: '/tmp/x', publishDir: '/repo/bench/results', publishName: 'latest' }, '/repo')).toContain('Published: bench/results/latest.*');
  });

  it('writes report.* in the run folder and latest.* only when publishing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-output-'));
    try {
      writeRunOutput({ runDir: join(dir, 'run'), publishName: 'latest' }, { md: 'm', json: '{}' });
      expect(readdirSync(dir)).toEqual(['run']);
      writeRunOutput({ runDir: join(dir, 'run2'), publishDir: join(dir, 'results'), publishName: 'latest' }, { md: 'm', svg: '<svg/>' });
      expect(readdirSync(join(dir, 'run2')).sort()).toEqual(['report.md', 'report.svg']);
      expect(readdirSync(join(dir, 'results')).sort()).toEqual(['latest.md', 'latest.svg']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
