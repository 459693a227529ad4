/**
 * npm run bench:webhook-ab: the cost of the outbox with one webhook subscription, A/B in one
 * command (issue 14: at most 15% lower throughput). Runs the harness (bench/run.ts) alternately with
 * the outbox on and one subscription to a local receiver (--webhook), with the outbox on and no
 * subscription, and with the outbox trigger disabled (--outbox off), `--rounds` times each, in turn,
 * so that drift in the machine's load hits all alike; prints each run's req/s, the medians, the
 * ratios to off, and the delivery lag of the webhook runs. Options: --rounds <n> (default 3), --connections <n> (default 100),
 * --duration <s> (default 10), --scenario <id> (default hot-deposit). Reports stay in
 * bench/runs/webhook-ab-<time>/.
 */
import { alternate, abOptions, type ArmName, median } from './ab.js';
import type { WebhookFigures } from './report/types.js';

const o = abOptions('webhook-ab');
const runs = await alternate('webhook-ab', o, [
  { name: 'on', label: 'outbox on + 1 webhook', args: ['--webhook'] },
  { name: 'outbox', label: 'outbox on, no webhook', args: [] },
  { name: 'off', label: 'outbox off', args: ['--outbox', 'off'] },
], (r) => {
  const w = r.webhook;
  return w ? `; ${w.events} events, lag p50 ${w.lagMs.p50} ms p99 ${w.lagMs.p99} ms max ${w.lagMs.max} ms, drained ${w.drainMs ?? '∞'} ms after` : '';
});
const of = (arm: ArmName) => runs.filter((r) => r.arm === arm);
const on = median(of('on').map((r) => r.requestsPerS));
const outbox = median(of('outbox').map((r) => r.requestsPerS));
const off = median(of('off').map((r) => r.requestsPerS));
console.log(`\n| outbox | runs (req/s) | median req/s |\n|---|---|--:|`);
for (const [arm, name, value] of [['on', 'on + 1 webhook', on], ['outbox', 'on, no webhook', outbox], ['off', 'off', off]] as const) {
  console.log(`| ${name} | ${of(arm).map((r) => Math.round(r.requestsPerS)).join(', ')} | ${Math.round(value)} |`);
}
const lags = of('on').map((r) => r.webhook).filter((w): w is WebhookFigures => w !== undefined);
console.log(`\n${o.scenario} at ${o.connections} connections: outbox on + webhook = ${((on / off) * 100).toFixed(1)}% of off ` +
  `(${(((off - on) / off) * 100).toFixed(1)}% cost; goal at most 15%); the outbox alone costs ${(((off - outbox) / off) * 100).toFixed(1)}%. Delivery lag p50 ${median(lags.map((w) => w.lagMs.p50))} ms, ` +
  `p99 ${median(lags.map((w) => w.lagMs.p99))} ms (medians of the runs); reports in ${o.outRoot}`);
if (runs.some((r) => !r.ok)) process.exitCode = 1;
