/** /metrics after real traffic: the promised series exist, labels stay bounded, retries and slow transactions are seen. */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { adminPool, buildTestApp, createWallet, operate, useTestApp, waitFor } from '../support/test-app.js';

const t = useTestApp({ dashboardIntervalMs: 100 });

/** /metrics needs the operator scope; the operator key works on every app of the test database. */
async function scrape(app = t.app): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: t.operatorHeaders });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.body;
}

/** The value of one series, by name and exact label set text, or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every label value in the exposition, per label name. */
function labelValues(text: string): Map<string, Set<string>> {
  const values = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    for (const m of line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (!values.has(m[1]!)) values.set(m[1]!, new Set());
      values.get(m[1]!)!.add(m[2]!);
    }
  }
  return values;
}

describe('/metrics', () => {
  it('exposes request, operation, transaction, pool and process metrics after a short load', async () => {
    const id = await createWallet(t.app);
    await Promise.all(Array.from({ length: 20 }, () => operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' })));
    await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '1000.00' }); // 400
    await operate(t.app, id, { operation_type: 'WITHDRAW', amount: 'abc' }); // 422
    await operate(t.app, '00000000-0000-4000-8000-000000000000', { operation_type: 'DEPOSIT', amount: '1.00' }); // 404
    await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` });
    const text = await scrape();
    const route = 'route="/api/v1/wallets/:wallet_id/operation"';
    expect(value(text, `http_request_duration_seconds_count{method="POST",${route},status_code="200"}`)).toBeGreaterThanOrEqual(20);
    expect(value(text, `http_request_duration_seconds_count{method="POST",${route},status_code="400"}`)).toBeGreaterThanOrEqual(1);
    expect(value(text, 'wallet_operations_total{type="DEPOSIT",outcome="SUCCESS",replayed="false"}')).toBeGreaterThanOrEqual(20);
    expect(value(text, 'wallet_operations_total{type="WITHDRAW",outcome="REJECTED",replayed="false"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'wallet_operations_total{type="DEPOSIT",outcome="NOT_FOUND",replayed="false"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'wallet_operations_total{type="WITHDRAW",outcome="INVALID",replayed="false"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'db_transaction_duration_seconds_count{outcome="commit"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'wallet_group_commit_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'db_lock_wait_seconds_count')).toBeGreaterThanOrEqual(1);
    for (const name of ['db_pool_connections', 'db_pool_connections_idle', 'db_pool_clients_waiting', 'db_pool_connections_max',
      'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'db_slow_transactions_total']) {
      expect(value(text, name), name).toBeGreaterThanOrEqual(0);
    }
    expect(value(text, 'db_pool_connections_max')).toBe(t.config.poolSizeMax);
    for (const help of ['# HELP http_request_duration_seconds', '# TYPE db_retries_total counter', '# TYPE db_lock_wait_seconds histogram']) {
      expect(text).toContain(help);
    }
  });

  it('keeps label values bounded: route templates, never raw paths or ids', async () => {
    const id = await createWallet(t.app);
    await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' });
    for (let i = 0; i < 30; i++) {
      await t.app.inject({ method: 'GET', url: `/no/such/path/${i}/${crypto.randomUUID()}` });
      await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${crypto.randomUUID()}` });
    }
    await t.app.inject({ method: 'PROPFIND', url: '/api/v1/wallets' });
    const text = await scrape();
    expect(text).not.toContain(id);
    expect(text).not.toContain('/no/such/path');
    const labels = labelValues(text);
    const routes = [...labels.get('route')!];
    expect(routes).toContain('unmatched');
    expect(routes).toContain('/api/v1/wallets/:wallet_id');
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    expect(routes.some((r) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(r))).toBe(false);
    expect(routes.length).toBeLessThan(40);
    for (const method of labels.get('method')!) expect(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER']).toContain(method);
    for (const outcome of labels.get('outcome') ?? []) expect(outcome).toMatch(/^[A-Za-z_]+$/);
  });

  it('counts retries by SQLSTATE (55P03 while another session holds the wallet row lock)', async () => {
    const lockApp = await buildTestApp({ lockTimeoutMs: 20, retryBaseDelayMs: 20, retryMaxDelayMs: 50, retryAttemptsMax: 50 });
    const admin = adminPool();
    const holder = await admin.connect();
    try {
      const id = await createWallet(lockApp.app);
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [id]);
      const pending = operate(lockApp.app, id, { operation_type: 'DEPOSIT', amount: '2.00' });
      await waitFor(async () => {
        const n = value(await scrape(lockApp.app), 'db_retries_total{sqlstate="55P03"}');
        return n !== undefined && n >= 1 ? n : undefined;
      }, 10_000, 'a 55P03 retry');
      await holder.query('COMMIT');
      const res = await pending;
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'SUCCESS', balance: '2.00' });
      expect(value(await scrape(lockApp.app), 'db_transaction_duration_seconds_count{outcome="rollback"}')).toBeGreaterThanOrEqual(1);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await admin.end();
    }
  });
});

describe('logs', () => {
  it('warns about slow transactions (wallet, command, duration, attempt) and logs each retry with its SQLSTATE', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const { app } = await buildTestApp({ logLevel: 'warn', slowTransactionMs: 1, lockTimeoutMs: 20, retryBaseDelayMs: 20, retryMaxDelayMs: 50,
      retryAttemptsMax: 50 }, { logStream: stream });
    const admin = adminPool();
    const holder = await admin.connect();
    try {
      const id = await createWallet(app);
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [id]);
      const pending = operate(app, id, { operation_type: 'DEPOSIT', amount: '3.00' });
      await waitFor(async () => lines.find((l) => l.sqlstate === '55P03') , 10_000, 'a retry log line');
      await holder.query('COMMIT');
      const body = (await pending).json() as { id: string };
      const slow = await waitFor(async () => lines.find((l) => l.msg === 'slow transaction' && l.commandId === body.id && l.committed === true),
        5000, 'the slow-transaction line');
      expect(slow).toMatchObject({ level: 40, walletId: id, commandId: body.id, committed: true, slowTransactionMs: 1 });
      expect(slow.durationMs).toEqual(expect.any(Number));
      expect(slow.attempt).toBeGreaterThanOrEqual(2);
      expect(lines.find((l) => l.sqlstate === '55P03')).toMatchObject({ level: 40, walletId: id });
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await admin.end();
    }
  });
});

describe('operation outcomes, as the service decided them', () => {
  it('counts each kind of answer under its own name (a malformed body is INVALID, not REJECTED)', async () => {
    // A fresh app: counts start at zero, so every expectation below is exact.
    const own = await buildTestApp();
    const id = await createWallet(own.app);
    const key = { 'idempotency-key': 'metrics-outcome-key' };
    await operate(own.app, id, { operation_type: 'DEPOSIT', amount: '5.00' }, key); // SUCCESS
    await operate(own.app, id, { operation_type: 'DEPOSIT', amount: '5.00' }, key); // SUCCESS, replayed
    await operate(own.app, id, { operation_type: 'DEPOSIT', amount: '6.00' }, key); // KEY_CONFLICT
    await operate(own.app, id, { operation_type: 'WITHDRAW', amount: '100.00' }); // REJECTED (insufficient funds)
    await operate(own.app, id, '{"operation_type":"WITHDRAW",'); // INVALID (malformed JSON, 400)
    await operate(own.app, id, { operation_type: 'WITHDRAW', amount: '-1' }); // INVALID (422)
    await operate(own.app, '00000000-0000-4000-8000-000000000000', { operation_type: 'DEPOSIT', amount: '1.00' }); // NOT_FOUND
    const text = await scrape(own.app);
    const series = (type: string, outcome: string, replayed = 'false') =>
      value(text, `wallet_operations_total{type="${type}",outcome="${outcome}",replayed="${replayed}"}`);
    expect(series('DEPOSIT', 'SUCCESS')).toBe(1);
    expect(series('DEPOSIT', 'SUCCESS', 'true')).toBe(1);
    expect(series('DEPOSIT', 'KEY_CONFLICT')).toBe(1);
    expect(series('WITHDRAW', 'REJECTED')).toBe(1);
    expect(series('UNKNOWN', 'INVALID')).toBe(1);
    expect(series('WITHDRAW', 'INVALID')).toBe(1);
    expect(series('DEPOSIT', 'NOT_FOUND')).toBe(1);
  });

  it('counts transfers, reversals, holds, captures and voids by outcome too (issue 11)', async () => {
    const own = await buildTestApp();
    const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) => own.app.inject({ method: 'POST', url, headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    const a = await createWallet(own.app);
    const b = await createWallet(own.app);
    const deposit = (await operate(own.app, a, { operation_type: 'DEPOSIT', amount: '50.00' })).json();
    const tr = (await post('/api/v1/transfers', { from_wallet_id: a, to_wallet_id: b, amount: '10.00' })).json(); // TRANSFER SUCCESS
    await post('/api/v1/transfers', { from_wallet_id: b, to_wallet_id: a, amount: '99.00' }); // TRANSFER REJECTED
    await post('/api/v1/transfers', { from_wallet_id: a, to_wallet_id: a, amount: '1.00' }); // TRANSFER INVALID (same wallet)
    expect((await post(`/api/v1/transfers/${tr.id}/reverse`)).statusCode).toBe(200); // REVERSAL SUCCESS
    expect((await post(`/api/v1/transfers/${tr.id}/reverse`)).statusCode).toBe(409); // REVERSAL REJECTED
    await post(`/api/v1/wallets/${a}/operations/${deposit.id}/reverse`, undefined, { 'idempotency-key': 'r' }); // REVERSAL SUCCESS
    await post(`/api/v1/wallets/${a}/operations/${deposit.id}/reverse`, undefined, { 'idempotency-key': 'r' }); // replayed
    await operate(own.app, a, { operation_type: 'DEPOSIT', amount: '20.00' });
    const h1 = (await post(`/api/v1/wallets/${a}/holds`, { amount: '5.00' })).json(); // HOLD SUCCESS
    await post(`/api/v1/wallets/${a}/holds`, { amount: '500.00' }); // HOLD REJECTED
    await post(`/api/v1/wallets/${randomUUID()}/holds`, { amount: '1.00' }); // HOLD NOT_FOUND
    const h2 = (await post(`/api/v1/wallets/${a}/holds`, { amount: '5.00' })).json();
    expect((await post(`/api/v1/holds/${h1.id}/capture`, {})).statusCode).toBe(200); // CAPTURE SUCCESS
    expect((await post(`/api/v1/holds/${h1.id}/capture`, {})).statusCode).toBe(409); // CAPTURE REJECTED
    expect((await post(`/api/v1/holds/${h2.id}/void`)).statusCode).toBe(200); // VOID SUCCESS
    expect((await post(`/api/v1/holds/${randomUUID()}/void`)).statusCode).toBe(404); // VOID NOT_FOUND
    const text = await scrape(own.app);
    const series = (type: string, outcome: string, replayed = 'false') =>
      value(text, `wallet_operations_total{type="${type}",outcome="${outcome}",replayed="${replayed}"}`);
    expect(series('TRANSFER', 'SUCCESS')).toBe(1);
    expect(series('TRANSFER', 'REJECTED')).toBe(1);
    expect(series('TRANSFER', 'INVALID')).toBe(1);
    expect(series('REVERSAL', 'SUCCESS')).toBe(2);
    expect(series('REVERSAL', 'SUCCESS', 'true')).toBe(1);
    expect(series('REVERSAL', 'REJECTED')).toBe(1);
    expect(series('HOLD', 'SUCCESS')).toBe(2);
    expect(series('HOLD', 'REJECTED')).toBe(1);
    expect(series('HOLD', 'NOT_FOUND')).toBe(1);
    expect(series('CAPTURE', 'SUCCESS')).toBe(1);
    expect(series('CAPTURE', 'REJECTED')).toBe(1);
    expect(series('VOID', 'SUCCESS')).toBe(1);
    expect(series('VOID', 'NOT_FOUND')).toBe(1);
  });
});

describe('/dashboard/data', () => {
  it('has points for requests, latency, operations and pool after a short load', async () => {
    const id = await createWallet(t.app);
    await Promise.all(Array.from({ length: 10 }, () => operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' })));
    const data = await waitFor(async () => {
      const d = (await t.app.inject({ method: 'GET', url: '/dashboard/data', headers: t.operatorHeaders })).json();
      return d.busiest_wallets.some((w: { wallet_id: string }) => w.wallet_id === id) ? d : undefined;
    }, 5000, 'a closed dashboard bucket');
    expect(data.interval_ms).toBe(100);
    expect(data.t.length).toBeGreaterThan(0);
    expect(Math.max(...data.request_rate)).toBeGreaterThan(0);
    expect(Math.max(...data.operations_per_second.SUCCESS)).toBeGreaterThan(0);
    expect(data.latency_p99_ms.some((v: number | null) => v !== null && v > 0)).toBe(true);
    expect(Math.max(...data.pool_total)).toBeGreaterThan(0);
    expect(data.batches_reported).toBeGreaterThan(0);
    expect(data.busiest_wallets.find((w: { wallet_id: string }) => w.wallet_id === id).operations).toBe(10);
    const page = await t.app.inject({ method: 'GET', url: '/dashboard' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('/dashboard/vendor/uPlot.iife.min.js');
    const lib = await t.app.inject({ method: 'GET', url: '/dashboard/vendor/uPlot.iife.min.js' });
    expect(lib.statusCode).toBe(200);
    expect(lib.body.length).toBeGreaterThan(10_000);
  });
});

describe('monitoring files (docker/monitoring)', () => {
  it('the Grafana dashboard and the alert rules only use metrics that /metrics exposes', async () => {
    const { readFileSync } = await import('node:fs');
    const root = new URL('../../docker/monitoring/', import.meta.url);
    const dashboard = JSON.parse(readFileSync(new URL('grafana/dashboards/wallet-service.json', root), 'utf8')) as {
      uid: string; panels: { id: number; datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    const datasource = readFileSync(new URL('grafana/provisioning/datasources/prometheus.yml', root), 'utf8');
    const alerts = readFileSync(new URL('alerts.yml', root), 'utf8');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of dashboard.panels) expect(datasource).toContain(`uid: ${p.datasource.uid}`);
    const exposed = new Set((await scrape()).split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!));
    const exprs = [...dashboard.panels.flatMap((p) => p.targets.map((x) => x.expr)), ...alerts.split('\n').filter((l) => l.includes('{job='))];
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)].map((m) => m[1]!)));
    used.delete('up');
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      expect(exposed.has(name) || exposed.has(base), name).toBe(true);
    }
  });
});
