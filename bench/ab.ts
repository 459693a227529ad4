/**
 * The A/B runner behind `npm run bench:auth-ab` and `bench:webhook-ab`: runs the harness
 * (bench/run.ts) for one scenario at one connection count, alternating two arms `--rounds` times
 * (on, off, on, off, ...) so that drift in the machine's load hits both alike, and hands each run's
 * first scenario figures back. A run whose checks failed (exit 1) still has its report and is
 * returned with ok = false; any other exit stops the A/B. Reports stay in bench/runs/<tag>-<time>/.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/db/migrations.js';
import type { WebhookFigures } from './report/types.js';

/** on / off: the two arms of an A/B; outbox: webhook-ab's third arm (the outbox without a subscription). */
export type ArmName = 'on' | 'off' | 'outbox';

export interface Arm {
  name: ArmName;
  /** What the log says of it, e.g. "auth on". */
  label: string;
  /** Extra harness options. */
  args?: string[];
  /** Extra environment for the harness (and the service it starts). */
  env?: Record<string, string>;
  /** The checkout whose harness and service run (default: this one). */
  cwd?: string;
}

export interface ArmRun {
  arm: ArmName;
  requestsPerS: number;
  serviceCpuUsPerRequest: number | undefined;
  webhook: WebhookFigures | undefined;
  ok: boolean;
}

export interface AbOptions {
  /** One scenario id, or several separated by commas. */
  scenario: string;
  /** Measure the HTTP ceiling in every run too (default: no). */
  ceiling?: boolean;
  connections: string;
  outRoot: string;
}

/** The common options (--rounds, --connections, --duration, --scenario) and this A/B's report folder. */
export function abOptions(tag: string): AbOptions & { rounds: number; duration: string } {
  const { values } = parseArgs({ options: {
    rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' }, scenario: { type: 'string', default: 'hot-deposit' },
  } });
  return {
    rounds: Number(values.rounds), connections: values.connections!, duration: values.duration!, scenario: values.scenario!,
    outRoot: join(projectRoot, 'bench', 'runs', `${tag}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  };
}

/** One harness run of `arm`, without pgbench (and without the HTTP ceiling unless `o.ceiling`); its report goes to `out`. */
export function runHarness(arm: Arm, o: AbOptions & { duration: string }, out: string): Promise<void> {
  const args = ['--import', 'tsx', 'bench/run.ts', '--scenarios', o.scenario, '--connections', o.connections,
    '--duration', o.duration, '--no-pgbench', ...(o.ceiling ? [] : ['--no-ceiling']), '--out', out, ...(arm.args ?? [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: arm.cwd ?? projectRoot, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...arm.env },
    });
    child.on('exit', (code) => (code === 0 || code === 1 ? resolve() : reject(new Error(`bench/run.ts (${arm.label}) exited with ${code}`))));
  });
}

function figures(arm: ArmName, out: string): ArmRun {
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    ok: boolean; scenarios: { requestsPerS: number; cpu?: { serviceUs?: number }; webhook?: WebhookFigures }[];
  };
  const run = report.scenarios[0]!;
  return { arm, requestsPerS: run.requestsPerS, serviceCpuUsPerRequest: run.cpu?.serviceUs, webhook: run.webhook, ok: report.ok };
}

/** Runs the arms in turn, round after round; `describe` adds to each run's log line. */
export async function alternate(
  tag: string, o: AbOptions & { rounds: number; duration: string }, arms: Arm[], describe: (run: ArmRun) => string,
): Promise<ArmRun[]> {
  const runs: ArmRun[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const arm of arms) {
      const out = join(o.outRoot, `${round}-${arm.name}`);
      console.log(`[${tag}] round ${round}/${o.rounds}, ${arm.label}`);
      await runHarness(arm, o, out);
      const run = figures(arm.name, out);
      runs.push(run);
      console.log(`[${tag}]   ${Math.round(run.requestsPerS)} req/s${describe(run)}, check ${run.ok ? 'ok' : 'FAILED'}`);
    }
  }
  return runs;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
