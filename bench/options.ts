/** Command-line options of `npm run bench`. Pure: parse and validate, or explain. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface BenchOptions {
  mode: 'quick' | 'full' | 'custom';
  durationS: number;
  warmupS: number;
  connections: number[];
  scenarios: string[] | undefined;
  url: string | undefined;
  dbUrl: string | undefined;
  viaPgbouncer: boolean;
  pgbench: boolean;
  /** Measure the HTTP ceiling (a trivial node:http server) at each connection count. */
  ceiling: boolean;
  /** This run's results folder (default: bench/runs/<timestamp>, git-ignored). */
  outDir: string | undefined;
  /** Also replace the committed bench/results/latest.{json,md,svg}. */
  publish: boolean;
  requestTimeoutS: number;
  /** Directory for a V8 CPU profile of the service (node --cpu-prof), written when it stops. */
  cpuProfDir: string | undefined;
  /** One webhook subscription to a local receiver during the run; its delivery lag is reported (docs/events.md). */
  webhook: boolean;
  /** off: the outbox trigger disabled for the run (the A/B's baseline; bench/webhook-ab.ts). */
  outbox: 'on' | 'off';
  help: boolean;
}

export const usage = `Usage: npm run bench -- [options]

Starts the service on an embedded PostgreSQL (temporary data dir, free ports), runs pgbench as a
reference and every scenario at each connection count, checks correctness after each, prints a
Markdown table and the results folder on stdout, and writes report.json, report.md and report.svg
to bench/runs/<timestamp>/ (git-ignored). Only --publish replaces bench/results/latest.*.

  --quick                 about 2 minutes: 4 s per run, 1 s warm-up
  --duration <s>          seconds per run (default 20; --quick: 4)
  --warmup <s>            warm-up seconds before the first scenario (default 3; --quick: 1)
  --connections <list>    connection counts, comma-separated (default 10,100,500)
  --scenarios <list>      scenario ids to run (default all): hot-deposit, hot-mixed,
                          spread-deposit, balance-read, wallet-create, original-mix
  --url <url>             measure a service that is already running (needs --db-url)
  --db-url <url>          its PostgreSQL, reached directly (checks and pgbench)
  --via-pgbouncer         start the service behind the local PgBouncer stack
  --no-pgbench            skip the pgbench reference
  --no-ceiling            skip the HTTP ceiling (a trivial node:http server under the same load)
  --request-timeout <s>   client-side timeout per request (default 30)
  --out <dir>             this run's results folder (default bench/runs/<timestamp>)
  --publish               also write bench/results/latest.{json,md,svg}, the published results
  --cpu-prof <dir>        write a V8 CPU profile of the service there (open in Chrome DevTools)
  --webhook               one webhook subscription (all event types) to a local receiver; reports
                          the delivery lag of each run and how long the backlog took to drain
  --outbox <on|off>       off: disable the outbox trigger for the run (baseline for the A/B)
  --help                  this text
Exit status: 0 when every check passed, 1 when any failed, 2 on bad options.`;

export class OptionsError extends Error {}

/** node:util parseArgs, strict (unknown options and stray arguments refused), its errors as OptionsError. Shared with faults/options.ts. */
export function parseStrict<const T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, strict: true, options }).values;
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new OptionsError(`${name} must be a positive whole number (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const values = parseStrict(argv, {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    scenarios: { type: 'string' },
    url: { type: 'string' },
    'db-url': { type: 'string' },
    'via-pgbouncer': { type: 'boolean', default: false },
    'no-pgbench': { type: 'boolean', default: false },
    'no-ceiling': { type: 'boolean', default: false },
    'request-timeout': { type: 'string' },
    out: { type: 'string' },
    publish: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    webhook: { type: 'boolean', default: false },
    outbox: { type: 'string', default: 'on' },
    help: { type: 'boolean', default: false },
  });
  if (values.outbox !== 'on' && values.outbox !== 'off') throw new OptionsError('--outbox must be on or off');
  if (values.outbox === 'off' && values.webhook) throw new OptionsError('--webhook needs the outbox (--outbox on)');
  const quick = values.quick === true;
  const custom = values.duration !== undefined || values.connections !== undefined || values.scenarios !== undefined;
  const connections = (values.connections ?? '10,100,500').split(',').map((c) => positive('--connections', c.trim(), 0));
  if (values.url !== undefined && values['db-url'] === undefined) {
    throw new OptionsError('--url needs --db-url: the correctness checks read the database directly');
  }
  if (values.url !== undefined && values['cpu-prof'] !== undefined) throw new OptionsError('--cpu-prof needs a service the harness starts (not --url)');
  if (values.url !== undefined && values['via-pgbouncer']) throw new OptionsError('--url and --via-pgbouncer exclude each other');
  for (const [name, url, pattern] of [['--url', values.url, /^https?:\/\//], ['--db-url', values['db-url'], /^postgres(ql)?:\/\//]] as const) {
    if (url !== undefined && !pattern.test(url)) throw new OptionsError(`${name} is not a ${name === '--url' ? 'http(s)' : 'postgres'} URL`);
  }
  return {
    mode: custom ? 'custom' : quick ? 'quick' : 'full',
    durationS: positive('--duration', values.duration, quick ? 4 : 20),
    warmupS: values.warmup === '0' ? 0 : positive('--warmup', values.warmup, quick ? 1 : 3),
    connections: [...new Set(connections)].sort((a, b) => a - b),
    scenarios: values.scenarios?.split(',').map((s) => s.trim()).filter(Boolean),
    url: values.url,
    dbUrl: values['db-url'],
    viaPgbouncer: values['via-pgbouncer'] === true,
    pgbench: values['no-pgbench'] !== true,
    ceiling: values['no-ceiling'] !== true,
    outDir: values.out,
    publish: values.publish === true,
    requestTimeoutS: positive('--request-timeout', values['request-timeout'], 30),
    cpuProfDir: values['cpu-prof'],
    webhook: values.webhook === true,
    outbox: values.outbox,
    help: values.help === true,
  };
}
