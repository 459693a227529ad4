/** /health and /ready: ready only when the database answers and the whole changelog is applied. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import pg from 'pg';
import { expectedChangesets, ReadinessCheck } from '../../src/health/readiness.js';
import { freePort } from '../../src/lib/free-port.js';
import { createTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { FaultProxy } from '../support/fault-proxy.js';

describe('/ready', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp(); });
  afterAll(async () => { await t.close(); });

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

describe('/ready during an outage', () => {
  it('is 503 when the database port is closed, while /health stays 200', async () => {
    const closed = `postgres://nobody:nothing@127.0.0.1:${await freePort()}/postgres`;
    const t = await createTestApp({ readyTimeoutMs: 1000 }, closed);
    try {
      const ready = await t.app.inject({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'not ready', database: 'unreachable', detail: 'Database unreachable' });
      const health = await t.app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'ok' });
    } finally {
      await t.close();
    }
  });

  it('goes 200 → 503 during the outage → 200 after it', async () => {
    const url = inject('databaseUrl');
    const gate = FaultProxy.forUrl(url);
    await gate.start();
    const t = await createTestApp({ readyTimeoutMs: 1000 }, gate.urlFor(url));
    const status = async () => (await t.app.inject({ method: 'GET', url: '/ready' })).statusCode;
    try {
      expect(await status()).toBe(200);
      await gate.stop();
      await waitFor(async () => ((await status()) === 503 ? true : undefined), 10_000, '/ready 503 in the outage');
      await gate.start();
      await waitFor(async () => ((await status()) === 200 ? true : undefined), 10_000, '/ready 200 after the outage');
    } finally {
      await t.close();
      await gate.stop();
    }
  });

  it('is 503 when the schema was never migrated', async () => {
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    const name = `ready_empty_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(inject('adminDatabaseUrl'));
    u.pathname = `/${name}`;
    const t = await createTestApp({}, u.toString());
    try {
      const res = await t.app.inject({ method: 'GET', url: '/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ database: 'ok', detail: 'Database schema not migrated' });
    } finally {
      await t.close();
      await admin.query(`DROP DATABASE ${name}`);
      await admin.end();
    }
  });
});
