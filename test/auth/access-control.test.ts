/**
 * The access-control contract on every endpoint: 401 (with WWW-Authenticate: Bearer) for a missing,
 * malformed, unknown, wrong, expired or revoked key; 403 for a key without the scope; public
 * endpoints open; another tenant's wallet is 404 everywhere, exactly like a wallet that does not exist.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/auth/api-key.js';
import type { Scope } from '../../src/auth/scopes.js';
import { revokeKey } from '../../src/auth/key-store.js';
import { loadConfig } from '../../src/config/config.js';
import {
  adminPool, authRequired, balanceOf, bearer, createWallet, makeKey, makeOperatorKey, newTenant, operate, type UsedTestApp, useTestApp,
} from '../support/test-app.js';

interface Endpoint {
  name: string;
  scope: Scope;
  method: 'GET' | 'POST';
  url: (ids: Ids) => string;
  body?: unknown;
  bodyFor?: (ids: Ids) => unknown;
  /** Answers that mean the key was accepted (default 200); a reversal is 200 once, then 409. */
  answered?: number[];
}

const endpoints: Endpoint[] = [
  { name: 'create wallet', scope: 'wallets:write', method: 'POST', url: () => '/api/v1/wallets' },
  { name: 'get wallet', scope: 'wallets:read', method: 'GET', url: (i) => `/api/v1/wallets/${i.wallet}` },
  { name: 'post operation', scope: 'wallets:write', method: 'POST', url: (i) => `/api/v1/wallets/${i.wallet}/operation`,
    body: { operation_type: 'DEPOSIT', amount: '1.00' } },
  { name: 'get operation', scope: 'wallets:read', method: 'GET', url: (i) => `/api/v1/wallets/${i.wallet}/operations/${i.operation}` },
  { name: 'reverse operation', scope: 'wallets:write', method: 'POST', answered: [200, 409],
    url: (i) => `/api/v1/wallets/${i.target}/operations/${i.reversible}/reverse` },
  { name: 'history', scope: 'wallets:read', method: 'GET', url: (i) => `/api/v1/wallets/${i.wallet}/operations` },
  { name: 'post transfer', scope: 'wallets:write', method: 'POST', url: () => '/api/v1/transfers',
    bodyFor: (i) => ({ from_wallet_id: i.wallet, to_wallet_id: i.target, amount: '0.01' }) },
  { name: 'get transfer', scope: 'wallets:read', method: 'GET', url: (i) => `/api/v1/transfers/${i.transfer}` },
  { name: 'reverse transfer', scope: 'wallets:write', method: 'POST', answered: [200, 409],
    url: (i) => `/api/v1/transfers/${i.transfer}/reverse` },
  { name: 'post hold', scope: 'wallets:write', method: 'POST', url: (i) => `/api/v1/wallets/${i.wallet}/holds`, body: { amount: '0.01' } },
  { name: 'capture hold', scope: 'wallets:write', method: 'POST', answered: [200, 409],
    url: (i) => `/api/v1/holds/${i.holds.toCapture}/capture` },
  { name: 'void hold', scope: 'wallets:write', method: 'POST', answered: [200, 409], url: (i) => `/api/v1/holds/${i.holds.toVoid}/void` },
  { name: 'get hold', scope: 'wallets:read', method: 'GET', url: (i) => `/api/v1/holds/${i.holds.toGet}` },
  { name: 'list holds', scope: 'wallets:read', method: 'GET', url: (i) => `/api/v1/wallets/${i.wallet}/holds` },
  { name: 'metrics', scope: 'operator', method: 'GET', url: () => '/metrics' },
  { name: 'dashboard data', scope: 'operator', method: 'GET', url: () => '/dashboard/data' },
];

describe.skipIf(!authRequired)('access control', () => {
  // Hundreds of refused keys from one address on purpose: its failure limit is tested in failed-auth-limit.test.ts.
  const t = useTestApp({ auth: { ...loadConfig({}).auth, failuresPerSecond: 0 } });
  let wallet: string;
  let operation: string;
  let target: string;
  let transfer: string;
  let reversible: string;
  let holds: Holds;
  const keys: Partial<Record<Scope | 'expired' | 'revoked' | 'other', string>> = {};

  beforeAll(async () => {
    wallet = await createWallet(t.app);
    operation = (await operate(t.app, wallet, { operation_type: 'DEPOSIT', amount: '10.00' })).json().id;
    ({ target, transfer } = await seedTransfer(t, wallet));
    reversible = (await operate(t.app, target, { operation_type: 'DEPOSIT', amount: '1.00' })).json().id;
    holds = await seedHolds(t, wallet);
    for (const scope of ['wallets:read', 'wallets:write', 'admin'] as const) keys[scope] = (await makeKey(t.tenant, [scope])).key;
    keys.operator = (await makeOperatorKey()).key; // of the operator tenant, the only one whose keys may hold it
    keys.expired = (await makeKey(t.tenant, ['wallets:read', 'wallets:write', 'admin'], new Date(Date.now() - 1000))).key;
    const revoked = await makeKey(t.tenant, ['wallets:read', 'wallets:write', 'admin']);
    const admin = adminPool();
    await revokeKey(admin, revoked.key_id, 'test');
    await admin.end();
    keys.revoked = revoked.key;
  });

  const call = (e: Endpoint, headers: Record<string, string | undefined>) =>
    send(t, e, { wallet, operation, target, transfer, reversible, holds }, headers);

  const fresh = generateKey();
  const badHeaders: [string, string | undefined][] = [
    ['no header', undefined],
    ['empty', ''],
    ['Basic scheme', 'Basic dXNlcjpwYXNz'],
    ['Bearer without a key', 'Bearer '],
    ['not a wsk_ key', 'Bearer abc.def.ghi'],
    ['truncated key', `Bearer ${fresh.key.slice(0, -1)}`],
    ['unknown key id', `Bearer ${fresh.key}`],
  ];

  for (const e of endpoints) {
    describe(e.name, () => {
      it.each(badHeaders)('401 with WWW-Authenticate for %s', async (_what, value) => {
        const res = await call(e, { authorization: value });
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="wallet-service"/);
        expect(res.json().detail).toMatch(/^(Invalid or expired API key|Missing API key: send Authorization: Bearer <key>)$/);
      });

      it('401 for a wrong secret, an expired key and a revoked key, all with the same detail', async () => {
        const known = keys[e.scope]!;
        const wrongSecret = `${known.slice(0, 21)}${'A'.repeat(43)}`;
        for (const key of [wrongSecret, keys.expired!, keys.revoked!]) {
          const res = await call(e, bearer(key));
          expect(res.statusCode).toBe(401);
          expect(res.json()).toEqual({ detail: 'Invalid or expired API key' });
          expect(res.headers['www-authenticate']).toBe('Bearer realm="wallet-service", error="invalid_token"');
        }
      });

      it(`403 for a key without ${e.scope}`, async () => {
        for (const scope of ['wallets:read', 'wallets:write', 'admin', 'operator'] as const) {
          if (scope === e.scope) continue;
          const res = await call(e, bearer(keys[scope]!));
          expect(res.statusCode).toBe(403);
          expect(res.json()).toEqual({ detail: `This API key lacks the scope ${e.scope}` });
        }
      });

      it(`answers a key holding only ${e.scope}`, async () => {
        const res = await call(e, bearer(keys[e.scope]!));
        expect(e.answered ?? [200]).toContain(res.statusCode);
      });
    });
  }

  it('checks the key before reading the body: an unauthenticated bad body is 401, not 422', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${wallet}/operation`,
      headers: { 'content-type': 'application/json', authorization: undefined }, payload: '{"amount": -1' });
    expect(res.statusCode).toBe(401);
  });

  it.each(['/health', '/ready', '/openapi.json', '/docs/', '/dashboard'])('%s is open', async (url) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { authorization: undefined } });
    expect(res.statusCode).toBe(200);
  });

  it('an unknown path is 404 with or without a key', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/nope', headers: { authorization: undefined } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });

  it('declares the bearer scheme and the 401/403/429 answers in OpenAPI', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, method] of [['/api/v1/wallets', 'post'], ['/api/v1/wallets/{wallet_id}', 'get'],
      ['/api/v1/wallets/{wallet_id}/operation', 'post'], ['/api/v1/wallets/{wallet_id}/operations/{operation_id}', 'get'],
      ['/api/v1/wallets/{wallet_id}/operations', 'get'], ['/api/v1/wallets/{wallet_id}/holds', 'post'],
      ['/api/v1/holds/{hold_id}/capture', 'post'], ['/api/v1/holds/{hold_id}/void', 'post'], ['/api/v1/holds/{hold_id}', 'get'],
      ['/api/v1/wallets/{wallet_id}/holds', 'get']] as const) {
      const op = spec.paths[path][method];
      expect(op.security, path).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(['401', '403', '429']));
    }
    expect(spec.paths['/health'].get.security).toBeUndefined();
    expect(spec.paths['/health'].get.responses['401']).toBeUndefined();
  });
});

/** A second wallet of the app's tenant and a transfer to it (the wallet needs a balance). */
async function seedTransfer(t: UsedTestApp, wallet: string, headers: Record<string, string> = {}): Promise<{ target: string; transfer: string }> {
  const target = (await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers })).json().id;
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ from_wallet_id: wallet, to_wallet_id: target, amount: '1.00' }) });
  expect(res.statusCode).toBe(200);
  return { target, transfer: res.json().id };
}

/**
 * `target`: a second wallet of the tenant; `transfer`: a transfer between the two; `reversible`: a
 * deposit on the target (the target holds enough for it and the transfer to be reversed).
 */
interface Ids { wallet: string; operation: string; target: string; transfer: string; reversible: string; holds: Holds }

/** Three HELD holds on the wallet: one to capture, one to void, one to read. */
interface Holds { toCapture: string; toVoid: string; toGet: string }

async function seedHolds(t: UsedTestApp, wallet: string, headers: () => Promise<Record<string, string>> = async () => ({})): Promise<Holds> {
  const place = async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${wallet}/holds`, headers: await headers(), payload: { amount: '0.50' } });
    expect(res.statusCode).toBe(200);
    return res.json().id as string;
  };
  return { toCapture: await place(), toVoid: await place(), toGet: await place() };
}

function send(t: UsedTestApp, e: Endpoint, ids: Ids, headers: Record<string, string | undefined>) {
  const body = e.bodyFor?.(ids) ?? e.body;
  return t.app.inject({
    method: e.method, url: e.url(ids),
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    payload: body ? JSON.stringify(body) : undefined,
  });
}

describe.skipIf(!authRequired)('rate limit on every endpoint', () => {
  const t = useTestApp({ auth: { ...loadConfig({}).auth, rateLimitPerSecond: 1, rateLimitBurst: 2 } });
  let wallet: string;
  let operation: string;
  let target: string;
  let transfer: string;
  let reversible: string;
  let holds: Holds;
  beforeAll(async () => {
    // Set-up with keys of their own: the fixture's key has a bucket of 2 here too.
    const fresh = async () => bearer((await makeKey(t.tenant)).key);
    wallet = (await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: await fresh() })).json().id;
    operation = (await operate(t.app, wallet, { operation_type: 'DEPOSIT', amount: '10.00' }, await fresh())).json().id;
    ({ target, transfer } = await seedTransfer(t, wallet, await fresh()));
    reversible = (await operate(t.app, target, { operation_type: 'DEPOSIT', amount: '1.00' }, await fresh())).json().id;
    holds = await seedHolds(t, wallet, fresh);
  });

  it.each(endpoints.map((e) => [e.name, e] as const))('%s: 429 with Retry-After once the key\'s bucket is empty', async (_name, e) => {
    // A fresh bucket (burst 2); operator scope only for a key of the operator tenant.
    const key = (e.scope === 'operator' ? await makeOperatorKey() : await makeKey(t.tenant, [e.scope])).key;
    const call = () => send(t, e, { wallet, operation, target, transfer, reversible, holds }, bearer(key));
    expect(e.answered ?? [200]).toContain((await call()).statusCode);
    expect(e.answered ?? [200]).toContain((await call()).statusCode);
    const limited = await call();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toEqual({ detail: 'Rate limit exceeded for this API key, retry after Retry-After seconds' });
  });
});

describe.skipIf(!authRequired)('tenants', () => {
  const t = useTestApp();
  let mine: string;
  let theirs: string;
  let theirOperation: string;
  let theirCursor: string;
  let otherTenantKey: string;
  beforeAll(async () => {
    otherTenantKey = (await makeKey(newTenant('other'))).key;
    mine = await createWallet(t.app);
    // A wallet of the other tenant, with a ledger and a history cursor.
    const asOther = bearer(otherTenantKey);
    theirs = (await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: asOther })).json().id;
    for (let i = 0; i < 3; i++) {
      theirOperation = (await operate(t.app, theirs, { operation_type: 'DEPOSIT', amount: '5.00' }, asOther)).json().id;
    }
    theirCursor = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${theirs}/operations?limit=1`, headers: asOther }))
      .json().next_cursor;
    expect(theirCursor).toEqual(expect.any(String));
  });

  const notFound = { detail: 'Wallet not found' };

  it('another tenant\'s wallet is 404 on every endpoint, exactly like a wallet that does not exist', async () => {
    for (const id of [theirs, randomUUID()]) {
      const get = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` });
      expect([get.statusCode, get.json()]).toEqual([404, notFound]);
      const history = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations` });
      expect([history.statusCode, history.json()]).toEqual([404, notFound]);
      const op = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations/${theirOperation}` });
      expect([op.statusCode, op.json()]).toEqual([404, notFound]);
      for (const type of ['DEPOSIT', 'WITHDRAW']) {
        const post = await operate(t.app, id, { operation_type: type, amount: '1.00' });
        expect([post.statusCode, post.json()]).toEqual([404, notFound]);
        const keyed = await operate(t.app, id, { operation_type: type, amount: '1.00' }, { 'idempotency-key': `x-${type}` });
        expect([keyed.statusCode, keyed.json()]).toEqual([404, notFound]);
      }
    }
    // Their cursor on their wallet: still 404, never a page.
    const paged = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${theirs}/operations?cursor=${theirCursor}` });
    expect([paged.statusCode, paged.json()]).toEqual([404, notFound]);
    // Nothing changed for them.
    expect(await balanceOf(t.app, theirs).catch(() => undefined)).toBeUndefined();
    const theirView = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${theirs}`, headers: bearer(otherTenantKey) });
    expect(theirView.json().balance).toBe('15.00');
    const admin = adminPool();
    const rows = await admin.query('SELECT count(*)::int AS n FROM operations WHERE wallet_id = $1', [theirs]);
    await admin.end();
    expect(rows.rows[0].n).toBe(3);
  });

  it('transfers: to or from another tenant\'s wallet is 404 and moves nothing; their transfer is 404', async () => {
    const asOther = bearer(otherTenantKey);
    const theirSecond = (await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: asOther })).json().id;
    const theirTransfer = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: { ...asOther, 'content-type': 'application/json' },
      payload: JSON.stringify({ from_wallet_id: theirs, to_wallet_id: theirSecond, amount: '1.00' }) });
    expect(theirTransfer.statusCode).toBe(200);
    await operate(t.app, mine, { operation_type: 'DEPOSIT', amount: '50.00' });
    const before = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${theirs}`, headers: asOther })).json().balance;
    for (const [from, to] of [[mine, theirs], [theirs, mine], [theirs, theirSecond]]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ from_wallet_id: from, to_wallet_id: to, amount: '1.00' }) });
      expect([res.statusCode, res.json()]).toEqual([404, notFound]);
    }
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${theirs}`, headers: asOther })).json().balance).toBe(before);
    expect(await balanceOf(t.app, mine)).toBe('50.00');
    const get = await t.app.inject({ method: 'GET', url: `/api/v1/transfers/${theirTransfer.json().id}` });
    expect(get.statusCode).toBe(404);
    // Reversals of theirs: 404, keyed or not, and nothing moves.
    const theirBalances = async () => Promise.all([theirs, theirSecond].map(async (id) =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}`, headers: asOther })).json().balance));
    const balancesBefore = await theirBalances();
    for (const headers of [{}, { 'idempotency-key': 'their-reversal' }]) {
      const transferBack = await t.app.inject({ method: 'POST', url: `/api/v1/transfers/${theirTransfer.json().id}/reverse`, headers });
      expect(transferBack.statusCode).toBe(404);
      const operationBack = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${theirs}/operations/${theirOperation}/reverse`, headers });
      expect([operationBack.statusCode, operationBack.json()]).toEqual([404, notFound]);
    }
    expect(await theirBalances()).toEqual(balancesBefore);
  });

  it('their cursor on my wallet is refused as a cursor of another wallet (422), telling nothing about theirs', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${mine}/operations?cursor=${theirCursor}` });
    expect(res.statusCode).toBe(422);
  });

  it('a group-commit batch mixing both tenants on one wallet applies only the owner\'s operations', async () => {
    const asOther = bearer(otherTenantKey);
    const before = Number((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${theirs}`, headers: asOther })).json().balance);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => operate(t.app, theirs,
      { operation_type: 'DEPOSIT', amount: '1.00' }, i % 2 === 0 ? asOther : {})));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(20);
    expect(answers.filter((a) => a.statusCode === 404)).toHaveLength(20);
    const view = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${theirs}`, headers: asOther });
    expect(view.json().balance).toBe((before + 20).toFixed(2));
  });

  it('records the key id as the actor of each ledger row', async () => {
    const other = await makeKey(t.tenant, ['wallets:write', 'wallets:read']);
    const mine = await createWallet(t.app);
    await operate(t.app, mine, { operation_type: 'DEPOSIT', amount: '2.00' });
    await operate(t.app, mine, { operation_type: 'DEPOSIT', amount: '3.00' }, bearer(other.key));
    const page = (await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${mine}/operations` })).json();
    expect(page.items.map((i: { actor: string; amount: string }) => [i.amount, i.actor]))
      .toEqual([['3.00', other.key_id], ['2.00', t.key!.key_id]]);
  });
});

describe.skipIf(authRequired)('AUTH_REQUIRED=false', () => {
  const t = useTestApp();

  it('serves every endpoint without a key as tenant default, and ignores any Authorization header', async () => {
    const id = await createWallet(t.app);
    for (const authorization of [undefined, 'Bearer not-ours', `Bearer ${generateKey().key}`]) {
      const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' }, authorization ? { authorization } : {});
      expect(res.statusCode).toBe(200);
    }
    expect(await balanceOf(t.app, id)).toBe('3.00');
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: t.operatorHeaders })).statusCode).toBe(200);
    const admin = adminPool();
    const { rows } = await admin.query('SELECT tenant FROM wallets WHERE id = $1', [id]);
    const actors = await admin.query('SELECT DISTINCT actor FROM operations WHERE wallet_id = $1', [id]);
    await admin.end();
    expect(rows[0].tenant).toBe('default');
    expect(actors.rows).toEqual([{ actor: null }]);
  });
});

describe('the open mode (AUTH_REQUIRED=false) opens the wallet contract, never configuration', () => {
  const t = useTestApp({ auth: { ...loadConfig({}).auth, required: false } });

  const closed = [
    { method: 'POST', url: '/api/v1/webhooks', payload: { url: 'https://example.com/hook', event_types: ['operation.succeeded'] } },
    { method: 'GET', url: '/api/v1/webhooks' },
    { method: 'GET', url: `/api/v1/webhooks/${randomUUID()}` },
    { method: 'DELETE', url: `/api/v1/webhooks/${randomUUID()}` },
    { method: 'GET', url: `/api/v1/webhooks/${randomUUID()}/deliveries` },
    { method: 'GET', url: '/metrics' },
    { method: 'GET', url: '/dashboard/data' },
  ] as const;

  it('serves the wallet API without a key, as tenant default', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: { authorization: undefined } });
    expect(created.statusCode).toBe(200);
    const id = (created.json() as { id: string }).id;
    expect((await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' }, { authorization: 'Bearer not-ours' })).statusCode)
      .toBe(200);
  });

  it('answers 401 without a key (or with a bad one) and 403 without the scope on webhooks, /metrics and /dashboard/data', async () => {
    const walletsOnly = bearer((await makeKey('default', ['wallets:read', 'wallets:write'])).key);
    for (const request of closed) {
      const none = await t.app.inject({ ...request, headers: { authorization: undefined } });
      expect(none.statusCode, `${request.method} ${request.url}`).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(none.json()).toEqual({ detail: 'Missing API key: send Authorization: Bearer <key>' });
      const bad = await t.app.inject({ ...request, headers: { authorization: `Bearer ${generateKey().key}` } });
      expect(bad.statusCode, `${request.method} ${request.url}`).toBe(401);
      const weak = await t.app.inject({ ...request, headers: walletsOnly });
      expect(weak.statusCode, `${request.method} ${request.url}`).toBe(403);
    }
  });

  it('serves webhooks with an admin key (as its tenant) and /metrics with an operator key; OpenAPI says they need one', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/webhooks' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: t.operatorHeaders })).statusCode).toBe(200);
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(spec.paths['/api/v1/webhooks']!.post!.security).toEqual([{ bearerAuth: [] }]);
    expect(spec.paths['/api/v1/webhooks']!.post!.responses).toHaveProperty('401');
    expect(spec.paths['/api/v1/wallets/{wallet_id}']!.get!.security).toBeUndefined();
  });
});
