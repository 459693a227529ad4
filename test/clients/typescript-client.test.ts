/**
 * The TypeScript client (clients/typescript/) against a real service over HTTP: the common paths,
 * typed errors, Idempotency-Keys with safe retries (a lost answer, a 503 with Retry-After),
 * resolve() for a PENDING answer and the paged iterators.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createWalletClient, ForbiddenError, NotFoundError, type Operation, RateLimitedError, RefusedError, UnauthorizedError,
  ValidationError, type WalletClient,
} from '../../clients/typescript/src/index.js';
import { authRequired, buildTestApp, makeKey, useTestApp, waitFor } from '../support/test-app.js';

const t = useTestApp();
let baseUrl: string;
let client: WalletClient;

beforeAll(async () => {
  baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  client = createWalletClient({ baseUrl, apiKey: t.key?.key, pageSize: 2, retry: { baseDelayMs: 1 } });
});

/** A fetch that records each request's method and Idempotency-Key before sending it. */
function recordingFetch(seen: { method: string; key: string | null }[]): typeof fetch {
  return (input, init) => {
    const request = new Request(input, init);
    seen.push({ method: request.method, key: request.headers.get('idempotency-key') });
    return fetch(request);
  };
}

describe('the common paths', () => {
  it('creates, deposits, withdraws, transfers and reads back, money as strings', async () => {
    const alice = await client.wallets.create();
    const bob = await client.wallets.create();
    expect(alice.balance).toBe('0.00');
    const deposit = await client.wallets.operate(alice.id, { operation_type: 'DEPOSIT', amount: '100.10' });
    expect(deposit).toMatchObject({ status: 'SUCCESS', amount: '100.10', balance: '100.10' });
    const transfer = await client.transfers.create({ from_wallet_id: alice.id, to_wallet_id: bob.id, amount: '0.10' });
    expect(transfer).toMatchObject({ status: 'SUCCESS', from_balance: '100.00', to_balance: '0.10' });
    expect((await client.transfers.get(transfer.id)).status).toBe('SUCCESS');
    expect((await client.wallets.get(alice.id)).balance).toBe('100.00');
  });

  it('places, captures and voids holds', async () => {
    const wallet = await client.wallets.create();
    await client.wallets.operate(wallet.id, { operation_type: 'DEPOSIT', amount: '50.00' });
    const hold = await client.holds.place(wallet.id, { amount: '20.00' });
    expect(hold).toMatchObject({ status: 'HELD', available_balance: '30.00' });
    expect(await client.holds.capture(hold.id, { amount: '5.00' })).toMatchObject({ status: 'CAPTURED', captured_amount: '5.00' });
    const other = await client.holds.place(wallet.id, { amount: '10.00' });
    expect(await client.holds.void(other.id)).toMatchObject({ status: 'VOIDED' });
    expect((await client.holds.get(other.id)).status).toBe('VOIDED');
    expect((await client.wallets.get(wallet.id)).balance).toBe('45.00');
  });

  it('iterates every page of a wallet\'s history and of the event feed', async () => {
    const wallet = await client.wallets.create();
    for (const amount of ['1.00', '2.00', '3.00', '4.00', '5.00']) {
      await client.wallets.operate(wallet.id, { operation_type: 'DEPOSIT', amount });
    }
    const amounts: string[] = [];
    for await (const entry of client.wallets.history(wallet.id)) amounts.push(entry.amount);
    expect(amounts).toEqual(['5.00', '4.00', '3.00', '2.00', '1.00']); // pages of 2: three requests
    const deposits: string[] = [];
    for await (const entry of client.wallets.history(wallet.id, { operation_type: 'WITHDRAW' })) deposits.push(entry.amount);
    expect(deposits).toEqual([]);
    // The feed shows an event once every older transaction has ended: poll until all five are there.
    const events = await waitFor(async () => {
      const seen: string[] = [];
      for await (const event of client.events.list({ wallet_id: wallet.id })) seen.push(event.type);
      return seen.length === 5 ? seen : undefined;
    });
    expect(events).toEqual(Array(5).fill('operation.succeeded'));
  });

  it('reaches every endpoint through raw, the generated client', async () => {
    const { data, response } = await client.raw.GET('/health');
    expect(response.status).toBe(200);
    expect(data).toBeDefined();
  });
});

describe('typed errors', () => {
  it('400 refused, 404 not found and 422 with FastAPI\'s detail', async () => {
    const wallet = await client.wallets.create();
    const refused = await client.wallets.operate(wallet.id, { operation_type: 'WITHDRAW', amount: '1.00' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).detail).toMatch(/Insufficient funds/);
    await expect(client.wallets.get(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    const invalid = await client.wallets.operate(wallet.id, { operation_type: 'DEPOSIT', amount: '-1' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).problems[0]?.loc).toEqual(['body', 'amount']);
    expect((invalid as ValidationError).requestId).toBeTruthy();
  });

  it.runIf(authRequired)('401 without a valid key, 403 without the scope', async () => {
    const anonymous = createWalletClient({ baseUrl });
    await expect(anonymous.wallets.create()).rejects.toBeInstanceOf(UnauthorizedError);
    const reader = createWalletClient({ baseUrl, apiKey: (await makeKey(t.tenant, ['wallets:read'])).key });
    await expect(reader.wallets.create()).rejects.toBeInstanceOf(ForbiddenError);
  });

  it.runIf(authRequired)('429 with the seconds Retry-After asks for', async () => {
    const limited = await buildTestApp({ auth: { ...t.config.auth, rateLimitPerSecond: 1, rateLimitBurst: 1 } });
    const url = await limited.app.listen({ host: '127.0.0.1', port: 0 });
    const c = createWalletClient({ baseUrl: url, apiKey: limited.key!.key });
    await c.wallets.create();
    const error = await c.wallets.create().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });
});

describe('idempotency and retries', () => {
  it('sends an Idempotency-Key with every POST, the caller\'s when given', async () => {
    const seen: { method: string; key: string | null }[] = [];
    const c = createWalletClient({ baseUrl, apiKey: t.key?.key, fetch: recordingFetch(seen) });
    const wallet = await c.wallets.create();
    const first = await c.wallets.operate(wallet.id, { operation_type: 'DEPOSIT', amount: '7.00' }, { idempotencyKey: 'order-1' });
    const again = await c.wallets.operate(wallet.id, { operation_type: 'DEPOSIT', amount: '7.00' }, { idempotencyKey: 'order-1' });
    await c.wallets.get(wallet.id);
    expect(again.id).toBe(first.id);
    expect((await c.wallets.get(wallet.id)).balance).toBe('7.00');
    expect(seen.filter((s) => s.method === 'POST').every((s) => s.key !== null)).toBe(true);
    expect(seen.filter((s) => s.key === 'order-1')).toHaveLength(2);
    expect(seen.find((s) => s.method === 'GET')?.key).toBeNull();
  });

  it('retries a POST whose answer was lost with the same key: applied once', async () => {
    const wallet = await client.wallets.create();
    const keys: (string | null)[] = [];
    let lost = 0;
    const losingFetch: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      keys.push(request.headers.get('idempotency-key'));
      const response = await fetch(request);
      if (request.method === 'POST' && lost++ === 0) throw new TypeError('fetch failed: the answer was lost'); // applied unheard
      return response;
    };
    const c = createWalletClient({ baseUrl, apiKey: t.key?.key, fetch: losingFetch, retry: { baseDelayMs: 1 } });
    const answer = await c.wallets.operate(wallet.id, { operation_type: 'DEPOSIT', amount: '12.34' });
    expect(answer.status).toBe('SUCCESS');
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await client.wallets.get(wallet.id)).balance).toBe('12.34');
  });

  it('waits what a 503\'s Retry-After asks, then succeeds; gives up after attemptsMax', async () => {
    const sentAt: number[] = [];
    let refusals = 1;
    const busyFetch: typeof fetch = async (input, init) => {
      sentAt.push(performance.now());
      if (refusals-- > 0) return new Response('{"detail":"Database unavailable, please retry later"}', { status: 503, headers: { 'retry-after': '1' } });
      return fetch(input, init);
    };
    const c = createWalletClient({ baseUrl, apiKey: t.key?.key, fetch: busyFetch, retry: { baseDelayMs: 1 } });
    expect((await c.wallets.create()).balance).toBe('0.00');
    expect(sentAt).toHaveLength(2);
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(990);

    refusals = 10;
    sentAt.length = 0;
    const c2 = createWalletClient({ baseUrl, apiKey: t.key?.key, fetch: busyFetch, retry: { attemptsMax: 3, retryAfterMaxMs: 0 } });
    await expect(c2.wallets.create()).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(sentAt).toHaveLength(1); // Retry-After beyond retryAfterMaxMs: no retry
  });

  it('never retries a wallet creation after a network error (the service cannot deduplicate it)', async () => {
    let sent = 0;
    const failing: typeof fetch = async () => { sent++; throw new TypeError('fetch failed'); };
    const c = createWalletClient({ baseUrl, fetch: failing, retry: { baseDelayMs: 1 } });
    await expect(c.wallets.create()).rejects.toThrow('fetch failed');
    expect(sent).toBe(1);
    await expect(c.wallets.get(randomUUID())).rejects.toThrow('fetch failed');
    expect(sent).toBe(1 + 4); // a GET is retried
  });
});

describe('resolve', () => {
  it('turns a PENDING answer into the stored one, or null when it was not applied', async () => {
    const wallet = await client.wallets.create();
    const applied = await client.wallets.operate(wallet.id, { operation_type: 'DEPOSIT', amount: '3.00' });
    const pending: Operation = { ...applied, status: 'PENDING', balance: null };
    expect(await client.resolve(pending)).toMatchObject({ id: applied.id, status: 'SUCCESS', balance: '3.00' });
    expect(await client.resolve({ ...pending, id: randomUUID() })).toBeNull();
    expect(await client.resolve(applied)).toBe(applied);
  });
});
