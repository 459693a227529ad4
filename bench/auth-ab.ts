/**
 * npm run bench:auth-ab: the cost of access control, A/B in one command. Runs the harness
 * (bench/run.ts) alternately with API keys checked (AUTH_REQUIRED=true, the default: the harness
 * sends the first-run key) and without (AUTH_REQUIRED=false), `--rounds` times each, in the order
 * on, off, on, off, ..., so that drift in the machine's load hits both alike; then prints each
 * run's hot-wallet req/s and CPU µs per request, the medians, and the ratio off → on.
 * Options: --rounds <n> (default 3), --connections <n> (default 100), --duration <s> (default 10),
 * --scenario <id> (default hot-deposit). Each run's report stays in bench/runs/auth-ab-<time>/.
 */
import { alternate, abOptions, median } from './ab.js';

const o = abOptions('auth-ab');
const runs = await alternate('auth-ab', o, [
  { name: 'on', label: 'auth on', env: { AUTH_REQUIRED: 'true' } },
  { name: 'off', label: 'auth off', env: { AUTH_REQUIRED: 'false' } },
], (r) => `, service CPU ${r.serviceCpuUsPerRequest?.toFixed(0) ?? '?'} µs/req`);

const of = (auth: 'on' | 'off') => runs.filter((r) => r.arm === auth);
const on = median(of('on').map((r) => r.requestsPerS));
const off = median(of('off').map((r) => r.requestsPerS));
const cpu = (auth: 'on' | 'off') => median(of(auth).map((r) => r.serviceCpuUsPerRequest ?? NaN));
console.log(`\n| auth | runs (req/s) | median req/s | median service CPU µs/req |\n|---|---|--:|--:|`);
for (const auth of ['on', 'off'] as const) {
  console.log(`| ${auth} | ${of(auth).map((r) => Math.round(r.requestsPerS)).join(', ')} | ${Math.round(auth === 'on' ? on : off)} | ${cpu(auth).toFixed(0)} |`);
}
console.log(`\n${o.scenario} at ${o.connections} connections: auth on = ${((on / off) * 100).toFixed(1)}% of auth off ` +
  `(${(((off - on) / off) * 100).toFixed(1)}% cost); reports in ${o.outRoot}`);
if (runs.some((r) => !r.ok)) process.exitCode = 1;
