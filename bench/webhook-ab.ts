/**
 * npm run bench:webhook-ab: the cost of the outbox with one webhook subscription, A/B in one
 * command (issue 14: at most 15% lower throughput). Runs the harness (bench/run.ts) alternately with
 * the outbox on and one subscription to a local receiver (--webhook) and with the outbox trigger
 * disabled (--outbox off), `--rounds` times each, on, off, on, off, ..., so that drift in the
 * machine's load hits both alike; prints each run's req/s, the medians, the ratio, and the delivery
 * lag of the webhook runs. Options: --rounds <n> (default 3), --connections <n> (default 100),
 * --duration <s> (default 10), --scenario <id> (default hot-deposit). Reports stay in
 * bench/runs/webhook-ab-<time>/.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/db/migrations.js';
import type { WebhookFigures } from './report/types.js';

type Arm = 'on' | 'off';
interface RunFigures {
  arm: Arm;
  requestsPerS: number;
  webhook: WebhookFigures | undefined;
  ok: boolean;
}

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '100' },
  duration: { type: 'string', default: '10' }, scenario: { type: 'string', default: 'hot-deposit' },
} });
const rounds = Number(values.rounds);
const outRoot = join(projectRoot, 'bench', 'runs', `webhook-ab-${new Date().toISOString().replace(/[:.]/g, '-')}`);

function runHarness(arm: Arm, out: string): Promise<void> {
  const args = ['--import', 'tsx', 'bench/run.ts', '--scenarios', values.scenario!, '--connections', values.connections!,
    '--duration', values.duration!, '--no-pgbench', '--no-ceiling', '--out', out, ...(arm === 'on' ? ['--webhook'] : ['--outbox', 'off'])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    // 1: the run's checks failed (its report is written and says which); anything else: no report.
    child.on('exit', (code) => (code === 0 || code === 1 ? resolve() : reject(new Error(`bench/run.ts (outbox ${arm}) exited with ${code}`))));
  });
}

function figures(arm: Arm, out: string): RunFigures {
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    ok: boolean; scenarios: { requestsPerS: number; webhook?: WebhookFigures }[];
  };
  const run = report.scenarios[0]!;
  return { arm, requestsPerS: run.requestsPerS, webhook: run.webhook, ok: report.ok };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const runs: RunFigures[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const arm of ['on', 'off'] as const) {
    const out = join(outRoot, `${round}-${arm}`);
    console.log(`[webhook-ab] round ${round}/${rounds}, outbox ${arm}${arm === 'on' ? ' + 1 webhook' : ''}`);
    await runHarness(arm, out);
    const f = figures(arm, out);
    runs.push(f);
    const w = f.webhook;
    console.log(`[webhook-ab]   ${Math.round(f.requestsPerS)} req/s, check ${f.ok ? 'ok' : 'FAILED'}` +
      (w ? `; ${w.events} events, lag p50 ${w.lagMs.p50} ms p99 ${w.lagMs.p99} ms max ${w.lagMs.max} ms, drained ${w.drainMs ?? '∞'} ms after` : ''));
  }
}
const of = (arm: Arm) => runs.filter((r) => r.arm === arm);
const on = median(of('on').map((r) => r.requestsPerS));
const off = median(of('off').map((r) => r.requestsPerS));
console.log(`\n| outbox | runs (req/s) | median req/s |\n|---|---|--:|`);
for (const arm of ['on', 'off'] as const) {
  console.log(`| ${arm === 'on' ? 'on + 1 webhook' : 'off'} | ${of(arm).map((r) => Math.round(r.requestsPerS)).join(', ')} | ${Math.round(arm === 'on' ? on : off)} |`);
}
const lags = of('on').map((r) => r.webhook).filter((w): w is WebhookFigures => w !== undefined);
console.log(`\n${values.scenario} at ${values.connections} connections: outbox on + webhook = ${((on / off) * 100).toFixed(1)}% of off ` +
  `(${(((off - on) / off) * 100).toFixed(1)}% cost; goal at most 15%). Delivery lag p50 ${median(lags.map((w) => w.lagMs.p50))} ms, ` +
  `p99 ${median(lags.map((w) => w.lagMs.p99))} ms (medians of the runs); reports in ${outRoot}`);
if (runs.some((r) => !r.ok)) process.exitCode = 1;
