/**
 * `npm run bench`: starts what it measures, runs the pgbench reference and every scenario at
 * each connection count, checks correctness after each run, and reports. See options.ts for usage.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { measureCeiling } from './ceiling/ceiling.js';
import { summarizeProfiles, type Window } from './cpu/profile-summary.js';
import { findPostmasterPid, startCpuMeter, type CpuGroups, type CpuSeconds } from './cpu/proc-cpu.js';
import { runLoad } from './load/run-load.js';
import { OptionsError, parseBenchOptions, usage, type BenchOptions } from './options.js';
import {
  dropPgbenchTables, findPgbench, fundPgbenchWallets, runPgbench, setUpPgbenchTables, type PgbenchResult,
} from './pgbench/run-pgbench.js';
import { bestHotRow, compare, referenceFor } from './report/compare.js';
import { machineInfo } from './report/machine-info.js';
import { renderMarkdown } from './report/markdown.js';
import { describeRunOutput, planRunOutput, writeRunOutput, type RunOutput } from './report/run-output.js';
import { renderSvgChart } from './report/svg-chart.js';
import type { BenchReport, CeilingResult, CpuPerOperation, ScenarioResult } from './report/types.js';
import { scenarios as allScenarios } from './scenarios/index.js';
import type { BenchContext, Scenario } from './scenarios/scenario.js';
import { startTarget, type Target } from './target/target.js';
import { sampleRss } from './target/rss-sampler.js';
import { settle } from './target/settle.js';
import { benchAuth } from './target/bench-auth.js';
import { WebhookProbe } from './webhook/webhook-probe.js';

const log = (message: string) => console.error(`[bench] ${message}`);
/** pgbench clients kept below max_connections, leaving room for the service's pool and the harness. */
const connectionsReserved = 30;
/** How long a check waits for the service to finish requests cut by the time limit. */
const quietBoundMs = 30_000;

async function runReference(
  options: BenchOptions, target: Target, db: pg.Pool, cores: number, postmasterPid: number | undefined, scenarios: Scenario[],
): Promise<{ results: PgbenchResult[]; note?: string }> {
  if (!options.pgbench) return { results: [], note: 'pgbench reference skipped (--no-pgbench).' };
  const pgbench = findPgbench();
  if (!pgbench) return { results: [], note: 'pgbench reference skipped: no pgbench found (set PGBENCH or install postgresql-client).' };
  const max = await db.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'max_connections'`);
  const clientsMax = Number(max.rows[0]?.setting ?? 100) - connectionsReserved;
  const wanted = { hot: [1, 10, 100, ...options.connections], spread: options.connections,
    'transfer-hot': options.connections, 'transfer-spread': options.connections };
  // The transfer references run only when a chosen scenario compares with them (after the others: they fund the wallets).
  const workloads = (['hot', 'spread', 'transfer-hot', 'transfer-spread'] as const)
    .filter((w) => !w.startsWith('transfer-') || scenarios.some((s) => s.reference === w));
  const results: PgbenchResult[] = [];
  const skipped: number[] = [];
  await setUpPgbenchTables(db);
  let funded = false;
  try {
    for (const workload of workloads) {
      if (workload.startsWith('transfer-') && !funded) {
        await fundPgbenchWallets(db);
        funded = true;
      }
      for (const clients of [...new Set(wanted[workload])].sort((a, b) => a - b)) {
        if (clients > clientsMax) {
          skipped.push(clients);
          continue;
        }
        await settle(db, ['bench_wallets', 'bench_operations'], log);
        const meter = startCpuMeter({ postgres: postmasterPid });
        const result = await runPgbench({ pgbench, databaseUrl: target.databaseUrl, workload, clients, durationS: options.durationS, cores });
        const cpuS = meter.stop().postgres;
        if (cpuS !== undefined && result.transactions > 0) result.postgresCpuUs = (cpuS * 1e6) / result.transactions;
        log(`pgbench ${workload} ${clients} clients: ${Math.round(result.tps)} TPS` +
          `${result.postgresCpuUs !== undefined ? `, PostgreSQL ${Math.round(result.postgresCpuUs)} µs CPU per transaction` : ''}`);
        results.push(result);
      }
    }
  } finally {
    await dropPgbenchTables(db);
  }
  const note = skipped.length > 0
    ? `pgbench not run at ${[...new Set(skipped)].join(', ')} clients (PostgreSQL max_connections leaves ${clientsMax}): those rows compare with the largest client count run.`
    : undefined;
  return { results, note };
}

/** CPU per answered request and as shares of a core, for the groups that were measured. */
function cpuPerOperation(cpu: CpuSeconds, responses: number, durationS: number): CpuPerOperation | undefined {
  if (responses === 0 || (cpu.service === undefined && cpu.postgres === undefined)) return undefined;
  const out: CpuPerOperation = {};
  if (cpu.service !== undefined) Object.assign(out, { serviceUs: (cpu.service * 1e6) / responses, serviceCores: cpu.service / durationS });
  if (cpu.postgres !== undefined) Object.assign(out, { postgresUs: (cpu.postgres * 1e6) / responses, postgresCores: cpu.postgres / durationS });
  return out;
}

/** What every measured run records: the processes whose CPU is read, and (for --cpu-prof) when it ran. */
interface Measuring {
  groups: CpuGroups;
  windows: Window[];
}

/** --webhook: the receiver whose delivery lag each run reports. */
let webhookProbe: WebhookProbe | undefined;

async function runScenario(
  scenario: Scenario, connections: number, options: BenchOptions, ctx: BenchContext, measured: Measuring, sampleMemory: boolean,
): Promise<ScenarioResult> {
  const prepared = await scenario.prepare(ctx, connections);
  await settle(ctx.db, ['wallets', 'operations'], log);
  const sampler = sampleMemory && measured.groups.service ? sampleRss(measured.groups.service) : undefined;
  const meter = startCpuMeter(measured.groups);
  const loadStartedAt = Date.now();
  const outcome = await runLoad({
    baseUrl: ctx.baseUrl, connections, durationS: options.durationS, requestTimeoutS: options.requestTimeoutS, requests: prepared.requests,
  });
  const cpu = meter.stop();
  const loadEndedAt = Date.now();
  measured.windows.push([loadStartedAt, loadEndedAt]);
  const memory = sampler?.stop();
  const check = await prepared.check();
  const webhook = webhookProbe ? await webhookProbe.figures(ctx.db, loadStartedAt, loadEndedAt) : undefined;
  if (webhook && webhook.drainMs === null) check.problems.push('webhook: not every event of the run was delivered within the bound');
  const result = outcome.result;
  if (result['5xx'] > 0) check.problems.push(`${result['5xx']} responses were 5xx`);
  if (result['4xx'] > 0 && !scenario.refusalsExpected) check.problems.push(`${result['4xx']} responses were 4xx`);
  if (result['2xx'] === 0) check.problems.push('no request succeeded');
  check.ok = check.problems.length === 0;
  const requestsPerS = outcome.responses / Math.max(result.duration, 0.001);
  const cpuPerRequest = cpuPerOperation(cpu, outcome.responses, Math.max(result.duration, 0.001));
  return {
    scenario: scenario.id,
    title: scenario.title,
    connections,
    durationS: result.duration,
    responses: outcome.responses,
    requestsPerS,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
    status2xx: result['2xx'],
    status4xx: result['4xx'],
    status5xx: result['5xx'],
    errors: result.errors - result.timeouts,
    timeouts: result.timeouts,
    check,
    ...(webhook ? { webhook } : {}),
    ...(memory ? { memory } : {}),
    ...(cpuPerRequest ? { cpu: cpuPerRequest } : {}),
  };
}

function withComparisons(results: ScenarioResult[], scenarios: Scenario[], pgbench: PgbenchResult[], ceiling: CeilingResult[]): void {
  const best = bestHotRow(pgbench);
  for (const result of results) {
    const http = ceiling.find((c) => c.connections === result.connections);
    if (http && http.requestsPerS > 0) result.ceiling = { requestsPerS: http.requestsPerS, ratio: result.requestsPerS / http.requestsPerS };
    const workload = scenarios.find((s) => s.id === result.scenario)?.reference;
    if (!workload) continue;
    const reference = referenceFor(pgbench, workload, result.connections);
    const comparison = compare(result.requestsPerS, reference);
    if (comparison) result.reference = { ...comparison, workload };
    if (workload === 'hot') result.hotBest = compare(result.requestsPerS, best);
  }
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const isLoopback = (host: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(host);

/** Writes this run's report.* (and, with --publish, bench/results/latest.*); says where on stdout. */
function writeResults(report: BenchReport, markdown: string, output: RunOutput): void {
  writeRunOutput(output, { json: `${JSON.stringify(report, null, 2)}\n`, md: `${markdown}\n`, svg: renderSvgChart(report) });
  console.log(`\n${describeRunOutput(output)}`);
}

/** --cpu-prof: the service wrote its profile when it stopped; its top goes to stdout and cpu-profile.md. */
function reportProfile(options: BenchOptions, output: RunOutput, startedAtMs: number, measured: Measuring, requests: number): void {
  if (!options.cpuProfDir) return;
  const text = summarizeProfiles(resolve(options.cpuProfDir), { startedAtMs, windows: measured.windows, requests });
  if (!text) {
    log(`no CPU profile found in ${options.cpuProfDir}`);
    return;
  }
  console.log(`\n${text}`);
  writeFileSync(join(output.runDir, 'cpu-profile.md'), `${text}\n`);
  console.log(`\nProfile summary: ${join(output.runDir, 'cpu-profile.md')}; the profiles themselves: ${resolve(options.cpuProfDir)}`);
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof OptionsError) {
      console.error(`${error.message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  const unknown = (options.scenarios ?? []).filter((id) => !allScenarios.some((s) => s.id === id));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}\n\n${usage}`);
    return 2;
  }
  const scenarios = allScenarios.filter((s) => !options.scenarios || options.scenarios.includes(s.id));
  const startedAt = new Date().toISOString();
  // Whatever has been started so far is undone on SIGINT/SIGTERM, even in the middle of start-up.
  const cleanups: Array<() => Promise<void>> = [];
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    void (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      process.exit(130);
    })();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const output = planRunOutput({ root: projectRoot, tool: 'bench', out: options.outDir, publish: options.publish, startedAt });
  const targetStartedAtMs = Date.now();
  // The receiver listens on loopback: the service started here must be allowed to call it (the SSRF guard's switch).
  if (options.webhook) process.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS = 'true';
  const target = await startTarget(options, log, (cleanup) => cleanups.push(cleanup));
  // Checks and fixtures: a few direct connections (the reconciliation runs two passes side by side).
  const db = new pg.Pool({ connectionString: target.databaseUrl, max: 3 });
  cleanups.push(() => db.end());
  const measured: Measuring = { groups: { service: target.pid }, windows: [] };
  let requestsMeasured = 0;
  try {
    const machine = await machineInfo(db, options.pgbench ? findPgbench() : undefined);
    if (options.outbox === 'off') {
      // The A/B's baseline: no event rows at all (needs the table owner or a superuser: --db-url's role).
      await db.query('ALTER TABLE operations DISABLE TRIGGER operations_events');
      cleanups.push(() => db.query('ALTER TABLE operations ENABLE TRIGGER operations_events').then(() => undefined));
      log('outbox off: trigger operations_events disabled for this run');
    }
    if (options.webhook) {
      webhookProbe = await WebhookProbe.start();
      cleanups.push(() => webhookProbe!.stop());
      await webhookProbe.subscribe(target.baseUrl, benchAuth.headers);
      log(`webhook: one subscription to ${webhookProbe.url}`);
    }
    const ctx: BenchContext = { baseUrl: target.baseUrl, db, quietBoundMs };
    // PostgreSQL's processes are read from /proc only when it runs here (a remote backend's pid means nothing locally).
    const postmasterPid = isLoopback(new URL(target.databaseUrl).hostname) ? await findPostmasterPid(db) : undefined;
    measured.groups.postgres = postmasterPid;
    const reference = await runReference(options, target, db, machine.cores, postmasterPid, scenarios);
    const ceiling = options.ceiling
      ? await measureCeiling({ serviceUrl: target.baseUrl, connections: options.connections, durationS: options.durationS,
        requestTimeoutS: options.requestTimeoutS, log, onCleanup: (cleanup) => cleanups.push(cleanup) })
      : undefined;
    const problems: string[] = [];
    if (options.warmupS > 0) {
      const warm = await runScenario(allScenarios[0]!, 10, { ...options, durationS: options.warmupS }, ctx, { ...measured, windows: [] }, false);
      log(`warm-up: ${Math.round(warm.requestsPerS)} req/s`);
      if (!warm.check.ok) problems.push(`warm-up check failed: ${warm.check.problems.slice(0, 3).join('; ')}`);
    }
    const results: ScenarioResult[] = [];
    const connectionsMax = Math.max(...options.connections);
    for (const scenario of scenarios) {
      for (const connections of options.connections) {
        const result = await runScenario(scenario, connections, options, ctx, measured,
          scenario.id === 'hot-deposit' && connections === connectionsMax);
        log(`${scenario.id} x${connections}: ${Math.round(result.requestsPerS)} req/s, p99 ${result.latencyMs.p99} ms, ` +
          `check ${result.check.ok ? 'ok' : `FAILED: ${result.check.problems.slice(0, 3).join('; ')}`}` +
          (result.webhook ? `; webhook lag p50 ${result.webhook.lagMs.p50} ms, p99 ${result.webhook.lagMs.p99} ms, ` +
            `drained ${result.webhook.drainMs ?? '∞'} ms after the load, ${result.webhook.requests ?? '?'} requests for ` +
            `${result.webhook.events} events, ${result.webhook.deliveredDuringLoad} delivered during the load` : ''));
        results.push(result);
        requestsMeasured += result.responses;
      }
    }
    withComparisons(results, scenarios, reference.results, ceiling ?? []);
    const report: BenchReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      mode: options.mode,
      target: { kind: target.kind, baseUrl: target.baseUrl },
      settings: { durationS: options.durationS, warmupS: options.warmupS, connections: options.connections, scenarios: scenarios.map((s) => s.id) },
      machine,
      pgbench: reference.results,
      ...(reference.note ? { pgbenchNote: reference.note } : {}),
      ...(ceiling ? { ceiling } : {}),
      scenarios: results,
      ok: problems.length === 0 && results.every((r) => r.check.ok),
      problems,
    };
    const markdown = renderMarkdown(report);
    console.log(markdown);
    writeResults(report, markdown, output);
    return report.ok ? 0 : 1;
  } catch (error) {
    const serviceLog = target.logTail();
    if (serviceLog) log(`last lines of the service's log:\n${serviceLog}`);
    throw error;
  } finally {
    if (options.outbox === 'off') await db.query('ALTER TABLE operations ENABLE TRIGGER operations_events').catch(() => undefined);
    await webhookProbe?.stop();
    await db.end().catch(() => undefined);
    await target.stop();
    reportProfile(options, output, targetStartedAtMs, measured, requestsMeasured);
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(`[bench] failed: ${(error as Error)?.stack ?? String(error)}`);
  process.exit(1);
});
