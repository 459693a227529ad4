/**
 * Property-based fuzzing of every endpoint with hostile input (fast-check): random JSON, wrong
 * types, huge numbers, unicode, deep nesting, long strings and headers, wrong content types and
 * bodies over the limit. Invariants: never a 5xx, never a crash, every error body is JSON with
 * `detail` and no internals, and a request that was not answered SUCCESS changes no balance and
 * adds no ledger row. FUZZ_RUNS sets the runs per property (default 150).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authRequired, createWallet, makeKey, newTenant, operate, useAdminPool, useTestApp } from '../support/test-app.js';
import {
  type Answer, answerProblems, fuzzRuns, hostileAuthorization, hostileBodyText, hostileContentType, hostileIdSegment, hostileIdempotencyKey,
  hostileAmount, hostileOperationObject,
} from './hostile-input.js';

const t = useTestApp({ bodyLimitBytes: 16384 });
const admin = useAdminPool();
let walletId: string;
let knownOperation: string;
/** Real keys: another tenant's (its requests must be 404s here) and one without wallets:write. */
let otherKeys: string[] = [];
/** How many requests the properties below sent, by family (reported at the end). */
const sent: Record<string, number> = {};

interface LedgerState {
  balance: string;
  rows: string;
}

async function ledgerState(id: string): Promise<LedgerState> {
  const r = await admin.query<LedgerState>(
    'SELECT w.balance::text AS balance, (SELECT count(*) FROM operations o WHERE o.wallet_id = w.id)::text AS rows ' +
    'FROM wallets w WHERE w.id = $1', [id]);
  return r.rows[0]!;
}

function expectSound(res: Answer, method: string, context: unknown): void {
  const problems = answerProblems(res, method);
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\nrequest: ${JSON.stringify(context).slice(0, 400)}`);
}

beforeAll(async () => {
  walletId = await createWallet(t.app);
  const seed = await operate(t.app, walletId, { operation_type: 'DEPOSIT', amount: '1000.00' });
  knownOperation = (seed.json() as { id: string }).id;
  if (authRequired) {
    otherKeys = [(await makeKey(newTenant('fuzz'))).key, (await makeKey(t.tenant, ['wallets:read'])).key];
  }
});

afterAll(async () => {
  console.log(`hostile fuzz: requests sent per property ${JSON.stringify(sent)}`);
});

const count = (family: string) => { sent[family] = (sent[family] ?? 0) + 1; };

describe('POST /operation with hostile bodies, content types and Idempotency-Keys', () => {
  it('never 5xx, errors carry detail, and only a SUCCESS changes the ledger', async () => {
    await fc.assert(fc.asyncProperty(hostileBodyText, hostileContentType, hostileIdempotencyKey, hostileAuthorization(otherKeys),
      async (body, contentType, key, authorization) => {
      count('operation');
      const before = await ledgerState(walletId);
      const headers: Record<string, string> = {};
      if (authorization !== undefined) headers.authorization = authorization;
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (key !== undefined) headers['idempotency-key'] = key;
      let res;
      try {
        res = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${walletId}/operation`, headers, payload: body });
      } catch (error) {
        // Only a header value Node itself would refuse to send may fail before reaching the app.
        if ((error as { code?: string }).code === 'ERR_INVALID_CHAR') return;
        throw error;
      }
      expectSound(res, 'POST', { body, contentType, key, authorization });
      const after = await ledgerState(walletId);
      const answer = res.statusCode === 200 ? (res.json() as { status: string; balance: string }) : undefined;
      if (answer?.status === 'SUCCESS' && res.headers['idempotency-replayed'] !== 'true') {
        expect(after.balance).toBe(answer.balance);
        expect(Number(after.rows)).toBe(Number(before.rows) + 1);
      } else {
        expect(after.balance).toBe(before.balance);
        // A refused operation with a fresh key is stored as REJECTED (for replays), never as a change.
        const added = Number(after.rows) - Number(before.rows);
        expect(added === 0 || (added === 1 && res.statusCode === 400 && key !== undefined)).toBe(true);
      }
    }), { numRuns: fuzzRuns * 2 });
  });

  it('bodies over the limit get 413 with detail and change nothing', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 16_385, max: 200_000 }), fc.boolean(), async (size, validPrefix) => {
      count('oversized');
      const before = await ledgerState(walletId);
      const body = validPrefix
        ? `{"operation_type":"DEPOSIT","amount":"1.00","pad":"${'p'.repeat(size)}"}`
        : 'x'.repeat(size);
      const res = await operate(t.app, walletId, body);
      expect(res.statusCode).toBe(413);
      expectSound(res, 'POST', { size });
      expect(await ledgerState(walletId)).toEqual(before);
    }), { numRuns: Math.ceil(fuzzRuns / 5) });
  });
});

describe('POST /api/v1/transfers with hostile bodies and Idempotency-Keys', () => {
  it('never 5xx, errors carry detail, and only a SUCCESS moves money (both legs)', async () => {
    const target = await createWallet(t.app);
    const walletIds = [walletId, target];
    const transferBody = fc.record({
      from_wallet_id: fc.oneof(fc.constantFrom(walletId, target), hostileIdSegment(walletIds), fc.jsonValue({ maxDepth: 2 })),
      to_wallet_id: fc.oneof(fc.constantFrom(walletId, target), hostileIdSegment(walletIds), fc.jsonValue({ maxDepth: 2 })),
      amount: hostileAmount,
      extra: fc.jsonValue({ maxDepth: 2 }),
    }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: transferBody.map((b) => JSON.stringify(b)) },
      { weight: 1, arbitrary: hostileBodyText }), hostileIdempotencyKey, async (body, key) => {
      count('transfers');
      const before = await Promise.all(walletIds.map(ledgerState));
      let res;
      try {
        res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', payload: body,
          headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) } });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_INVALID_CHAR') return;
        throw error;
      }
      expectSound(res, 'POST', { body, key });
      const after = await Promise.all(walletIds.map(ledgerState));
      if (res.statusCode === 200 && (res.json() as { status?: string }).status === 'SUCCESS') {
        const sum = (states: LedgerState[]) => states.reduce((cents, s) => cents + BigInt(s.balance.replace('.', '')), 0n);
        expect(sum(after)).toBe(sum(before)); // a transfer between the two moves money, never makes it
      } else if (res.headers['idempotency-replayed'] !== 'true') {
        expect(after.map((s) => s.balance)).toEqual(before.map((s) => s.balance));
      }
    }), { numRuns: fuzzRuns });
  });
});

describe('every endpoint with hostile paths, methods, query strings and headers', () => {
  const routes = (w: string, o: string) => [
    `/api/v1/wallets/${w}`, `/api/v1/wallets/${w}/`, `/api/v1/wallets/${w}/operation`, `/api/v1/wallets/${w}/operations`,
    `/api/v1/wallets/${w}/operations/${o}`, '/api/v1/wallets', '/api/v1/wallets/', '/health', '/ready', '/metrics',
    '/openapi.json', '/docs', '/docs/', '/docs/static/index.html', '/dashboard', '/dashboard/data', `/${w}`, '/api/v1/',
    '/api/v1/transfers', `/api/v1/transfers/${o}`, `/api/v1/transfers/${o}/reverse`, `/api/v1/wallets/${w}/operations/${o}/reverse`,
  ];
  const query = fc.oneof(
    fc.constant(''),
    fc.dictionary(fc.constantFrom('limit', 'cursor', 'operation_type', 'created_from', 'created_to', 'x', '__proto__'),
      fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('-1', '0', '1e9', '99999999999999999999', 'DEPOSIT',
        '2026-13-45T99:99:99Z', 'eyJ2Ijo5OX0', '%00', 'a'.repeat(600))), { maxKeys: 4 })
      .map((q) => `?${new URLSearchParams(q as Record<string, string>).toString()}`),
    fc.string({ maxLength: 80 }).map((s) => `?${s}`),
  );
  const header = fc.dictionary(
    fc.constantFrom('x-request-id', 'idempotency-key', 'accept', 'accept-encoding', 'x-forwarded-for', 'cookie', 'x-junk'),
    fc.oneof(fc.string({ maxLength: 50 }), fc.integer({ min: 1, max: 8000 }).map((n) => 'h'.repeat(n))), { maxKeys: 3 });

  it('never 5xx and every error carries detail', async () => {
    const walletIds = [walletId];
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
      hostileIdSegment(walletIds), hostileIdSegment([knownOperation]), fc.nat(21), query, header,
      fc.option(hostileOperationObject.map((o) => JSON.stringify(o)), { nil: undefined }), hostileAuthorization(otherKeys),
      async (method, w, o, routeIndex, qs, fuzzedHeaders, body, authorization) => {
        const headers = authorization === undefined ? fuzzedHeaders : { ...fuzzedHeaders, authorization };
        count('endpoints');
        const before = await ledgerState(walletId);
        const url = routes(w, o)[routeIndex]! + qs;
        let res;
        try {
          res = await t.app.inject({
            method: method as 'GET', url,
            headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { payload: body }),
          });
        } catch (error) {
          if ((error as { code?: string }).code === 'ERR_INVALID_CHAR') return;
          throw error;
        }
        expectSound(res, method, { method, url, headers, body });
        const answer = res.statusCode === 200 && url.includes('/operation') && method === 'POST'
          ? (res.json() as { status?: string }) : undefined;
        if (answer?.status !== 'SUCCESS') expect((await ledgerState(walletId)).balance).toBe(before.balance);
      },
    ), { numRuns: fuzzRuns * 2 });
  });

  it('wallet creation ignores any body and answers a wallet or a 4xx with detail', async () => {
    await fc.assert(fc.asyncProperty(hostileBodyText, hostileContentType, async (body, contentType) => {
      count('create');
      const res = await t.app.inject({
        method: 'POST', url: '/api/v1/wallets/', payload: body,
        headers: contentType === undefined ? {} : { 'content-type': contentType },
      });
      expectSound(res, 'POST', { body, contentType });
      if (res.statusCode === 200) expect(res.json()).toMatchObject({ balance: '0.00' });
    }), { numRuns: fuzzRuns });
  });
});
