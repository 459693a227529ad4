/**
 * Failed authentications are limited per client address (issue 25, item 3), and the address is
 * request.ip: X-Forwarded-For counts only when TRUST_PROXY trusts the peer that sent it. The real
 * app and PostgreSQL; inject's remoteAddress plays the peer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/auth/api-key.js';
import { authRequired, bearer, makeKey, newTenant, testConfig, type UsedTestApp, useTestApp } from '../support/test-app.js';

const burst = 5;

async function failUntilLimited(t: UsedTestApp, headers: () => Record<string, string>, remoteAddress: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < burst + 2; i++) {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/wallets/0190a3b2-0000-7000-8000-000000000000', remoteAddress,
      headers: { ...bearer(generateKey().key), ...headers() } });
    statuses.push(res.statusCode);
    if (res.statusCode === 429) {
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toEqual({ detail: 'Too many failed authentications from this address, retry after Retry-After seconds' });
    }
  }
  return statuses;
}

const limited = [...Array<number>(burst).fill(401), 429, 429];

describe.skipIf(!authRequired)('failed authentications per client address', () => {
  const base = testConfig();
  const auth = { ...base.auth, failuresPerSecond: 1, failuresBurst: burst };
  const direct = useTestApp({ auth });
  const proxied = useTestApp({ auth, trustProxy: '10.0.0.1' });
  let key: string;

  beforeAll(async () => {
    key = (await makeKey(newTenant(), ['wallets:write'])).key;
  });

  it('without TRUST_PROXY, X-Forwarded-For does not choose the address', async () => {
    let n = 0;
    const statuses = await failUntilLimited(direct, () => ({ 'x-forwarded-for': `198.51.100.${++n}` }), '203.0.113.7');
    expect(statuses).toEqual(limited);
    // Another peer is not limited.
    expect((await failUntilLimited(direct, () => ({}), '203.0.113.8'))[0]).toBe(401);
  });

  it('a valid key already known to the process passes from a limited address', async () => {
    const peer = '203.0.113.20';
    expect((await direct.app.inject({ method: 'POST', url: '/api/v1/wallets', remoteAddress: peer, headers: bearer(key) })).statusCode).toBe(200);
    // Its first lookup took one token of the peer's budget too (a lookup of an id the process did not know).
    expect(await failUntilLimited(direct, () => ({}), peer)).toEqual([...limited.slice(1), 429]);
    expect((await direct.app.inject({ method: 'POST', url: '/api/v1/wallets', remoteAddress: peer, headers: bearer(key) })).statusCode).toBe(200);
  });

  it('behind a trusted proxy, each forwarded client has its own budget; an untrusted peer cannot forward', async () => {
    expect(await failUntilLimited(proxied, () => ({ 'x-forwarded-for': '198.51.100.1' }), '10.0.0.1')).toEqual(limited);
    expect((await failUntilLimited(proxied, () => ({ 'x-forwarded-for': '198.51.100.2' }), '10.0.0.1'))[0]).toBe(401);
    expect(await failUntilLimited(proxied, () => ({ 'x-forwarded-for': '198.51.100.3' }), '10.0.0.99')).toEqual(limited);
    expect((await failUntilLimited(proxied, () => ({ 'x-forwarded-for': '198.51.100.4' }), '10.0.0.99'))[0]).toBe(429);
  });
});
