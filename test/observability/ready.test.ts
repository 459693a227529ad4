/** /health and /ready: ready only when the database answers and the whole changelog is applied. */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import pg from 'pg';
import { expectedChangesets, ReadinessCheck } from '../../src/health/readiness.js';
import { freePort } from '../../src/lib/free-port.js';
import { useTestApp, waitFor } from '../support/test-app.js';
import { useFaultProxy } from '../support/fault-proxy.js';

describe('/ready', () => {
  const t = useTestApp();

  it('is 200 with the changelog fully applied', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    const expected = expectedChangesets().length;
    expect(expected).toBeGreaterThanOrEqual(3);
    expect(res.json()).toEqual({ status: 'ready', database: 'ok', changelog: { expected, applied: expected } });
  });

  it('reads every changeset of the master changelog', () => {
    const ids = expectedChangesets().map((c) => `${c.author}:${c.id}`);
    expect(ids.slice(0, 3)).toEqual(['wallet-service:001-wallets', 'wallet-service:002-operations', 'wallet-service:003-apply-operations']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is 503 when a changeset is missing from DATABASECHANGELOG', async () => {
    const check = new ReadinessCheck(t.db.pool, [...expectedChangesets(), { author: 'wallet-service', id: '999-not-yet' }], 2000);
    const result = await check.check();
    expect(result.ready).toBe(false);
    expect(result.body).toMatchObject({ status: 'not ready', database: 'ok', missing: ['wallet-service:999-not-yet'],
      detail: 'Database changelog not fully applied' });
  });
});

describe('/ready with the database port closed', () => {
  const t = useTestApp({ readyTimeoutMs: 1000 }, { url: async () => `postgres://nobody:nothing@127.0.0.1:${await freePort()}/postgres` });

  it('is 503 when the database port is closed, while /health stays 200', async () => {
    const ready = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'not ready', database: 'unreachable', detail: 'Database unreachable' });
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
  });
});

describe('/ready through a proxy that goes down', () => {
  const gate = useFaultProxy();
  const t = useTestApp({ readyTimeoutMs: 1000 }, { url: () => gate.url });

  it('goes 200 → 503 during the outage → 200 after it', async () => {
    const status = async () => (await t.app.inject({ method: 'GET', url: '/ready' })).statusCode;
    expect(await status()).toBe(200);
    await gate.stop();
    await waitFor(async () => ((await status()) === 503 ? true : undefined), 10_000, '/ready 503 in the outage');
    await gate.start();
    await waitFor(async () => ((await status()) === 200 ? true : undefined), 10_000, '/ready 200 after the outage');
  });
});

describe('/ready on a database never migrated', () => {
  const name = `ready_empty_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  });
  // Registered before the app's hooks, so this runs after the app (and its pool) closed.
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  });
  const t = useTestApp({}, { url: () => {
    const u = new URL(inject('adminDatabaseUrl'));
    u.pathname = `/${name}`;
    return u.toString();
  } });

  it('is 503 when the schema was never migrated', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ database: 'ok', detail: 'Database schema not migrated' });
  });
});
