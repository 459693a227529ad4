/**
 * npm run bench:code-ab -- --base <rev>: a same-run A/B of two versions of the code. Checks the
 * base revision out into a temporary git worktree (sharing node_modules), then runs the harness
 * (bench/run.ts) alternately in the base and in this checkout, `--rounds` times each (base, head,
 * base, head, ...), so that drift in the machine's load hits both alike. Each run also measures the
 * HTTP ceiling, so every figure is reported as a share of the ceiling of the same run too. Prints
 * every run, the medians per scenario and the ratio head / base.
 * Options: --base <rev> (required), --rounds <n> (3), --connections <n> (100), --duration <s> (10),
 * --scenarios <ids> (hot-deposit,spread-deposit), --head-tracing (the head arm traces every request
 * to a local OTLP/HTTP sink started here: `--base HEAD --head-tracing` measures tracing's cost).
 * Reports stay in bench/runs/code-ab-<time>/.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/db/migrations.js';
import { median, runHarness, type Arm } from './ab.js';
import type { ScenarioResult } from './report/types.js';

const { values } = parseArgs({ options: {
  base: { type: 'string' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '100' },
  duration: { type: 'string', default: '10' }, scenarios: { type: 'string', default: 'hot-deposit,spread-deposit' },
  'head-tracing': { type: 'boolean', default: false },
} });
if (!values.base) {
  console.error('usage: npm run bench:code-ab -- --base <git revision> [--rounds 3] [--connections 100] [--duration 10] [--scenarios a,b]');
  process.exit(2);
}
const rounds = Number(values.rounds);
const outRoot = join(projectRoot, 'bench', 'runs', `code-ab-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const o = { scenario: values.scenarios!, connections: values.connections!, duration: values.duration!, outRoot, ceiling: true };

const git = (...args: string[]) => execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8' }).trim();
const baseRev = git('rev-parse', '--short', values.base);
const headRev = git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') ? '+changes' : '');
const baseDir = join(mkdtempSync(join(tmpdir(), 'code-ab-')), 'base');
git('worktree', 'add', '--detach', baseDir, baseRev);
symlinkSync(join(projectRoot, 'node_modules'), join(baseDir, 'node_modules'));

interface Figure { arm: 'base' | 'head'; scenario: string; requestsPerS: number; ceilingShare: number; serviceUs: number; postgresUs: number }
const figures: Figure[] = [];
const sink = values['head-tracing'] ? await startOtlpSink() : null;
const arms: (Arm & { name: 'on' | 'off' })[] = [
  { name: 'off', label: `base ${baseRev}`, cwd: baseDir },
  { name: 'on', label: `head ${headRev}${sink ? ' (tracing every request)' : ''}`, ...(sink ? { env: sink.env } : {}) },
];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const arm of arms) {
      const which = arm.name === 'off' ? 'base' : 'head';
      const out = join(outRoot, `${round}-${which}`);
      console.log(`[code-ab] round ${round}/${rounds}, ${arm.label}`);
      await runHarness(arm, o, out);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { scenarios: ScenarioResult[] };
      for (const s of report.scenarios) {
        const f: Figure = { arm: which, scenario: s.scenario, requestsPerS: s.requestsPerS, ceilingShare: s.ceiling?.ratio ?? NaN,
          serviceUs: s.cpu?.serviceUs ?? NaN, postgresUs: s.cpu?.postgresUs ?? NaN };
        figures.push(f);
        console.log(`[code-ab]   ${s.scenario}: ${Math.round(f.requestsPerS)} req/s (${(f.ceilingShare * 100).toFixed(1)}% of the ceiling), ` +
          `service ${f.serviceUs.toFixed(0)} µs/req, PostgreSQL ${f.postgresUs.toFixed(0)} µs/req, check ${s.check.ok ? 'ok' : 'FAILED'}`);
      }
    }
  }
} finally {
  await sink?.close();
  git('worktree', 'remove', '--force', baseDir);
  rmSync(dirname(baseDir), { recursive: true, force: true });
}

console.log(`\n| scenario | arm | runs (req/s) | median req/s | median % of ceiling | median service µs/req | median PostgreSQL µs/req |`);
console.log('|---|---|---|--:|--:|--:|--:|');
const med = (xs: Figure[], key: keyof Figure) => median(xs.map((f) => f[key] as number));
for (const scenario of o.scenario.split(',')) {
  const ratio: Record<string, number> = {};
  for (const arm of ['base', 'head'] as const) {
    const xs = figures.filter((f) => f.scenario === scenario && f.arm === arm);
    ratio[arm] = med(xs, 'requestsPerS');
    console.log(`| ${scenario} | ${arm === 'base' ? baseRev : headRev} | ${xs.map((f) => Math.round(f.requestsPerS)).join(', ')} | ` +
      `${Math.round(ratio[arm]!)} | ${(med(xs, 'ceilingShare') * 100).toFixed(1)} | ${med(xs, 'serviceUs').toFixed(0)} | ${med(xs, 'postgresUs').toFixed(0)} |`);
  }
  console.log(`| ${scenario} | head / base | | ${(ratio.head! / ratio.base!).toFixed(3)} | | | |`);
}
console.log(`\n${o.connections} connections, ${o.duration} s per run, ${rounds} rounds; reports in ${outRoot}`);
if (sink) console.log(`OTLP sink: ${sink.requests} export requests, ${(sink.bytes / 1e6).toFixed(1)} MB of spans`);

/**
 * A local OTLP/HTTP receiver that acknowledges and counts every export, and the environment that
 * sends the head arm's spans to it: every request sampled, a queue large enough that none is dropped.
 */
async function startOtlpSink() {
  const counts = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => { counts.bytes += chunk.length; });
    req.on('end', () => { counts.requests++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    OTEL_TRACES_SAMPLER: 'always_on', OTEL_BSP_MAX_QUEUE_SIZE: '100000', OTEL_BSP_SCHEDULE_DELAY: '1000',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
  };
  return {
    env,
    get requests() { return counts.requests; },
    get bytes() { return counts.bytes; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
