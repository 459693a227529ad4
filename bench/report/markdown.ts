/** The Markdown report printed on stdout and kept in the README. Pure. */
import { workloadLabels } from '../pgbench/run-pgbench.js';
import type { BenchReport, ScenarioResult } from './types.js';

const integer = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 || Number.isInteger(n) ? Math.round(n).toString() : n.toFixed(1));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const ratio = (n: number) => `${n.toFixed(2)}x`;
const percent = (n: number) => `${Math.round(n * 100)}%`;
const micros = (n: number | undefined) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));

function referenceCell(result: ScenarioResult): string {
  if (!result.reference) return '—';
  const mark = result.reference.clients === result.connections ? '' : ` (${result.reference.clients}c)`;
  return `${ratio(result.reference.ratio)} of ${integer(result.reference.tps)}${mark}`;
}

export function scenarioRow(result: ScenarioResult): string {
  const non2xx = result.status4xx + result.status5xx;
  const non2xxCell = non2xx === 0 ? '0' : `${integer(non2xx)} (5xx: ${integer(result.status5xx)})`;
  const cells = [
    result.title,
    String(result.connections),
    integer(result.requestsPerS),
    ms(result.latencyMs.p50), ms(result.latencyMs.p90), ms(result.latencyMs.p99), ms(result.latencyMs.max),
    non2xxCell,
    integer(result.errors + result.timeouts),
    referenceCell(result),
    result.hotBest ? ratio(result.hotBest.ratio) : '—',
    result.ceiling ? percent(result.ceiling.ratio) : '—',
    micros(result.cpu?.serviceUs),
    micros(result.cpu?.postgresUs),
    result.check.ok ? 'ok' : '**FAILED**',
  ];
  return `| ${cells.join(' | ')} |`;
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`### Benchmark ${report.startedAt} (${report.mode}, ${report.settings.durationS} s per run)`);
  lines.push('');
  lines.push(`Machine: ${m.cores} cores, ${m.cpuModel}, ${mib(m.memoryBytes)} RAM, load average at start ${m.loadAverageAtStart.map((n) => n.toFixed(2)).join(' ')}; ` +
    `Node ${m.node}, PostgreSQL ${m.postgres}${m.pgbench ? `, ${m.pgbench}` : ''}, autocannon ${m.autocannon}` +
    `${m.gitCommit ? `; commit ${m.gitCommit.slice(0, 10)}` : ''}. Target: ${report.target.kind}. ` +
    `synchronous_commit=${m.postgresSettings.synchronous_commit ?? '?'}, fsync=${m.postgresSettings.fsync ?? '?'}.`);
  lines.push('');
  if (report.pgbench.length > 0) {
    lines.push('pgbench reference (one transaction per operation: UPDATE wallet RETURNING, INSERT ledger row, COMMIT; a transfer: both rows ' +
      'locked in id order, two UPDATEs, two ledger legs, COMMIT):');
    lines.push('');
    lines.push('| workload | clients | TPS | avg latency ms | PostgreSQL CPU µs/txn |');
    lines.push('|---|--:|--:|--:|--:|');
    for (const r of report.pgbench) {
      lines.push(`| ${workloadLabels[r.workload]} | ${r.clients} | ${integer(r.tps)} | ${ms(r.latencyAvgMs)} | ${micros(r.postgresCpuUs)} |`);
    }
    lines.push('');
  }
  if (report.ceiling && report.ceiling.length > 0) {
    lines.push(`HTTP ceiling (a trivial node:http server answering the hot-deposit requests with the service's own status, headers and ` +
      `${report.ceiling[0]!.responseBytes}-byte body, same load generator):`);
    lines.push('');
    lines.push('| conns | req/s | p50 ms | p99 ms | non-2xx | CPU µs/req |');
    lines.push('|--:|--:|--:|--:|--:|--:|');
    for (const c of report.ceiling) {
      lines.push(`| ${c.connections} | ${integer(c.requestsPerS)} | ${ms(c.latencyMs.p50)} | ${ms(c.latencyMs.p99)} | ${integer(c.non2xx)} | ${micros(c.cpu?.usPerRequest)} |`);
    }
    lines.push('');
  }
  if (report.pgbenchNote) lines.push(`${report.pgbenchNote}`, '');
  lines.push('| scenario | conns | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | vs pgbench (same clients) | hot: vs pgbench best ' +
    '| of HTTP ceiling | CPU µs/req service | CPU µs/req PostgreSQL | check |');
  lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|');
  for (const result of report.scenarios) lines.push(scenarioRow(result));
  lines.push('');
  if (report.scenarios.some((r) => r.cpu || r.ceiling)) {
    lines.push('Of HTTP ceiling: req/s against the trivial server at the same connection count. CPU µs/req: CPU time (user + system, ' +
      'from /proc) of the service\'s processes and of PostgreSQL (postmaster and all its children) during the run, per answered request.');
    lines.push('');
  }
  for (const result of report.scenarios.filter((r) => r.memory)) {
    const memory = result.memory!;
    lines.push(`Service memory during ${result.title} at ${result.connections} connections: peak RSS ${mib(memory.peakRssBytes)} ` +
      `(VmHWM over the process's life ${mib(memory.lifetimeHwmBytes)}).`);
  }
  for (const result of report.scenarios.filter((r) => r.webhook)) {
    const w = result.webhook!;
    lines.push(`Webhook during ${result.title} at ${result.connections} connections: ${w.events} events, ${w.deliveredDuringLoad} ` +
      `delivered during the load; delivery lag p50 ${w.lagMs.p50} ms, p99 ${w.lagMs.p99} ms, max ${w.lagMs.max} ms; ` +
      `backlog drained ${w.drainMs === null ? 'not within the bound' : `${w.drainMs} ms after the load`}` +
      `${w.requests === undefined ? '' : `; ${w.requests} requests received`}.`);
  }
  const failed = report.scenarios.filter((r) => !r.check.ok);
  if (failed.length > 0 || report.problems.length > 0) {
    lines.push('', '**Run FAILED:**');
    for (const problem of report.problems) lines.push(`- ${problem}`);
    for (const result of failed) {
      lines.push(`- ${result.title} at ${result.connections} connections: ${result.check.problems.slice(0, 5).join('; ')}`);
    }
  } else {
    lines.push('', 'Every run checked: balances equal the answered amounts (transfers: the total unchanged, every transfer with both ' +
      'legs), ledgers reconcile, no 5xx.');
  }
  return lines.join('\n');
}
