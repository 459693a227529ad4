/**
 * No internals in any answer: with the database unreachable (driver errors name hosts and
 * ports) and with an unexpected exception carrying SQL and a stack, the bodies hold only a
 * `detail` meant for the client. /docs is served with the browser-hardening headers.
 */
import { describe, expect, it } from 'vitest';
import { buildTestApp, testConfig, useTestApp } from '../support/test-app.js';
import { answerProblems, internalsPattern } from './hostile-input.js';
import { freePort } from '../../src/lib/free-port.js';

describe('database unreachable', () => {
  // A port where nothing listens: every connect fails with ECONNREFUSED 127.0.0.1:<port>.
  // Without access control: a key could not be verified either (503, test/auth/access-control.test.ts).
  const t = useTestApp({ readBudgetMs: 300, operationBudgetMs: 300, retryMaxDelayMs: 20, poolConnectTimeoutMs: 200,
    auth: { ...testConfig().auth, required: false } }, { url: async () => `postgres://wallet_app:secret@127.0.0.1:${await freePort()}/wallet` });

  it.each([
    ['POST', '/api/v1/wallets/'],
    ['GET', '/api/v1/wallets/3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b'],
    ['GET', '/api/v1/wallets/3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b/operations/9b2e7c4d-1f3a-4e6b-8c9d-0a1b2c3d4e5f'],
    ['GET', '/api/v1/wallets/3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b/operations'],
    ['GET', '/ready'],
  ])('%s %s: 503 with a plain detail', async (method, url) => {
    const res = await t.app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toHaveProperty('detail');
    expect(res.body).not.toMatch(internalsPattern);
  });

  it('an operation: 200 FAILED (certainly not applied) with a plain detail', async () => {
    const res = await t.app.inject({
      method: 'POST', url: '/api/v1/wallets/3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b/operation',
      payload: { operation_type: 'DEPOSIT', amount: '1.00' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'FAILED', balance: null });
    expect(res.body).not.toMatch(internalsPattern);
  });
});

describe('an unexpected exception', () => {
  it('is a 500 with the request id and nothing else', async () => {
    const { app } = await buildTestApp({ poolSizeMax: 1 }, { beforeReady: (app) => {
      app.get('/boom', { config: { auth: 'public' } }, async () => {
        const error = new Error('syntax error at or near "FROM" in SELECT * FROM wallets WHERE id = $1 (host 127.0.0.1:5432)');
        Object.assign(error, { code: '42601', detail: 'Failing row contains (...)', hint: 'see /work/main/src/db/database.ts:42' });
        throw error;
      });
    } });
    const res = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-42' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: 'Internal Server Error (request id req-42)' });
    expect(answerProblems({ statusCode: 200, headers: res.headers, body: res.body }, 'GET')).toEqual([]);
  });
});

describe('security headers', () => {
  const t = useTestApp();

  it.each(['/docs', '/docs/', '/docs/static/index.html'])('%s: framing, referrer, sniffing and a CSP', async (url) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBeLessThan(400);
    expect(res.headers).toMatchObject({
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(String(res.headers['content-security-policy'])).toMatch(/frame-ancestors/);
  });

  it('API answers and errors are never sniffed', async () => {
    for (const url of ['/health', '/api/v1/wallets/nope', '/nowhere']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});
