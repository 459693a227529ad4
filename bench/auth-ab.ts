/**
 * npm run bench:auth-ab: the cost of access control, A/B in one command. Runs the harness
 * (bench/run.ts) alternately with API keys checked (AUTH_REQUIRED=true, the default: the harness
 * sends the first-run key) and without (AUTH_REQUIRED=false), `--rounds` times each, in the order
 * on, off, on, off, ..., so that drift in the machine's load hits both alike; then prints each
 * run's hot-wallet req/s and CPU µs per request, the medians, and the ratio off → on.
 * Options: --rounds <n> (default 3), --connections <n> (default 100), --duration <s> (default 10),
 * --scenario <id> (default hot-deposit). Each run's report stays in bench/runs/auth-ab-<time>/.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/db/migrations.js';

interface RunFigures {
  auth: 'on' | 'off';
  requestsPerS: number;
  serviceCpuUsPerRequest: number | undefined;
  ok: boolean;
}

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '100' },
  duration: { type: 'string', default: '10' }, scenario: { type: 'string', default: 'hot-deposit' },
} });
const rounds = Number(values.rounds);
const outRoot = join(projectRoot, 'bench', 'runs', `auth-ab-${new Date().toISOString().replace(/[:.]/g, '-')}`);

function runHarness(auth: 'on' | 'off', out: string): Promise<void> {
  const args = ['--import', 'tsx', 'bench/run.ts', '--scenarios', values.scenario!, '--connections', values.connections!,
    '--duration', values.duration!, '--no-pgbench', '--no-ceiling', '--out', out];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, AUTH_REQUIRED: auth === 'on' ? 'true' : 'false' },
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench/run.ts (auth ${auth}) exited with ${code}`))));
  });
}

function figures(auth: 'on' | 'off', out: string): RunFigures {
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    ok: boolean; scenarios: { requestsPerS: number; cpu?: { serviceUs?: number } }[];
  };
  const run = report.scenarios[0]!;
  return { auth, requestsPerS: run.requestsPerS, serviceCpuUsPerRequest: run.cpu?.serviceUs, ok: report.ok };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const runs: RunFigures[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const auth of ['on', 'off'] as const) {
    const out = join(outRoot, `${round}-${auth}`);
    console.log(`[auth-ab] round ${round}/${rounds}, auth ${auth}`);
    await runHarness(auth, out);
    const f = figures(auth, out);
    runs.push(f);
    console.log(`[auth-ab]   ${Math.round(f.requestsPerS)} req/s, service CPU ${f.serviceCpuUsPerRequest?.toFixed(0) ?? '?'} µs/req, check ${f.ok ? 'ok' : 'FAILED'}`);
  }
}
const of = (auth: 'on' | 'off') => runs.filter((r) => r.auth === auth);
const on = median(of('on').map((r) => r.requestsPerS));
const off = median(of('off').map((r) => r.requestsPerS));
const cpu = (auth: 'on' | 'off') => median(of(auth).map((r) => r.serviceCpuUsPerRequest ?? NaN));
console.log(`\n| auth | runs (req/s) | median req/s | median service CPU µs/req |\n|---|---|--:|--:|`);
for (const auth of ['on', 'off'] as const) {
  console.log(`| ${auth} | ${of(auth).map((r) => Math.round(r.requestsPerS)).join(', ')} | ${Math.round(auth === 'on' ? on : off)} | ${cpu(auth).toFixed(0)} |`);
}
console.log(`\n${values.scenario} at ${values.connections} connections: auth on = ${((on / off) * 100).toFixed(1)}% of auth off ` +
  `(${(((off - on) / off) * 100).toFixed(1)}% cost); reports in ${outRoot}`);
if (runs.some((r) => !r.ok)) process.exitCode = 1;
