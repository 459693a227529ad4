/* global document, window, fetch, setTimeout, sessionStorage, history, uPlot */
// The /dashboard page: polls /dashboard/data and draws it with uPlot. No build step, no framework.
'use strict';

const REFRESH_MS = 2000;
const colors = ['#2f6fd6', '#e0542f', '#2a9d59', '#b5479c', '#d39b14', '#6b7585'];

const OTHER_OUTCOMES = ['NOT_FOUND', 'KEY_CONFLICT', 'INVALID', 'UNAVAILABLE', 'ERROR'];

// Each chart: its section, series labels, and how to pick the series from the snapshot.
const charts = [
  { id: 'chart-requests', labels: ['req/s'], pick: (d) => [d.request_rate] },
  { id: 'chart-latency', labels: ['p50 ms', 'p99 ms'], pick: (d) => [d.latency_p50_ms, d.latency_p99_ms] },
  // 4xx excludes business refusals (insufficient funds): those are answers, counted as REJECTED below.
  { id: 'chart-errors', labels: ['5xx %', '4xx % (not refusals)'], pick: (d) => [d.error_5xx_percent, d.error_4xx_percent] },
  {
    id: 'chart-operations',
    labels: ['SUCCESS', 'REJECTED', 'FAILED', 'PENDING', 'other'],
    pick: (d) => {
      const o = d.operations_per_second;
      const other = d.t.map((_, i) => OTHER_OUTCOMES.reduce((sum, k) => sum + o[k][i], 0));
      return [o.SUCCESS, o.REJECTED, o.FAILED, o.PENDING, other];
    },
  },
  { id: 'chart-retries', labels: ['transactions/s', 'retries/s'], pick: (d) => [d.transactions_per_second, d.retries_per_second] },
  { id: 'chart-pool', labels: ['total', 'idle', 'waiting'], pick: (d) => [d.pool_total, d.pool_idle, d.pool_waiting] },
  { id: 'chart-batches', labels: ['avg size', 'max size'], pick: (d) => [d.batch_size_avg, d.batch_size_max] },
];

function makePlot(chart) {
  const section = document.getElementById(chart.id);
  const width = Math.max(300, section.clientWidth - 20);
  const opts = {
    width,
    height: 190,
    // live: false shows the series names; the live legend shows "--" until the cursor is over the plot.
    legend: { show: true, live: false },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, (max || 0) * 1.1)] } },
    series: [{}].concat(chart.labels.map((label, i) => ({
      label, stroke: colors[i % colors.length], width: 1.5, spanGaps: false, points: { show: false },
    }))),
    axes: [{}, { size: 50 }],
  };
  chart.plot = new uPlot(opts, [[]].concat(chart.labels.map(() => [])), section);
  chart.section = section;
}

function countPoints(series) {
  let n = 0;
  for (const s of series) for (const v of s) if (v !== null && v !== undefined) n++;
  return n;
}

function renderBusiest(rows) {
  const body = document.getElementById('busiest-rows');
  const max = rows.length ? rows[0].operations : 1;
  body.textContent = '';
  for (const row of rows) {
    const tr = document.createElement('tr');
    const wallet = document.createElement('td');
    wallet.className = 'wallet';
    wallet.textContent = row.wallet_id;
    const count = document.createElement('td');
    count.textContent = String(row.operations);
    const barCell = document.createElement('td');
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = `${Math.round((100 * row.operations) / max)}px`;
    barCell.appendChild(bar);
    tr.append(wallet, count, barCell);
    body.appendChild(tr);
  }
  document.getElementById('busiest').dataset.points = String(rows.length);
}

function render(data) {
  for (const chart of charts) {
    const series = chart.pick(data);
    chart.plot.setData([data.t].concat(series));
    chart.section.dataset.points = String(countPoints(series));
  }
  document.getElementById('batches-note').textContent = data.batches_reported > 0
    ? `${data.batches_reported} batches reported since start`
    : 'no group-commit batches reported yet';
  renderBusiest(data.busiest_wallets);
}

// The data needs an API key with the operator scope. It is kept in this tab only (sessionStorage),
// taken from the form or from the fragment (/dashboard#key=wsk_...; a fragment is never sent to
// the server), and sent as Authorization: Bearer.
const KEY_ITEM = 'wallet-service.dashboard.key';
const fragmentKey = /^#key=(wsk_[A-Za-z0-9_-]+)$/.exec(window.location.hash);
if (fragmentKey) {
  sessionStorage.setItem(KEY_ITEM, fragmentKey[1]);
  history.replaceState(null, '', window.location.pathname);
}
const keyForm = document.getElementById('key-form');
keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('key-input');
  sessionStorage.setItem(KEY_ITEM, input.value.trim());
  input.value = '';
  keyForm.hidden = true;
});

async function refresh() {
  const status = document.getElementById('status');
  try {
    const key = sessionStorage.getItem(KEY_ITEM);
    const response = await fetch('/dashboard/data', { cache: 'no-store', headers: key ? { authorization: `Bearer ${key}` } : {} });
    if (response.status === 401 || response.status === 403) {
      keyForm.hidden = false;
      throw new Error(response.status === 401 ? 'enter an API key with the operator scope' : 'this API key lacks the operator scope');
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    render(data);
    const scope = data.worker
      ? `worker ${data.worker.id} (one of ${data.worker.count}): this worker's numbers only; Prometheus has the sum`
      : `process ${data.pid}`;
    status.textContent = `updated ${new Date().toLocaleTimeString()} · ${data.t.length} points of ${data.interval_ms} ms · ${scope}`;
    status.className = 'status';
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  } catch (error) {
    status.textContent = `cannot load data: ${error.message}`;
    status.className = 'status error';
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

charts.forEach(makePlot);
window.addEventListener('resize', () => {
  for (const chart of charts) chart.plot.setSize({ width: Math.max(300, chart.section.clientWidth - 20), height: 190 });
});
refresh();
