/** Every line of the HTTP contract, with exact bodies, and proof that refused requests change nothing. */
import { describe, expect, it } from 'vitest';
import { balanceOf, createWallet, operate, useTestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Operation, transfer and hold ids are time-ordered (src/lib/uuid7.ts); wallet ids stay random. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const t = useTestApp();

async function fundedWallet(amount: string): Promise<string> {
  const id = await createWallet(t.app);
  const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount });
  expect(res.statusCode).toBe(200);
  return id;
}

describe('wallets', () => {
  it.each(['/api/v1/wallets/', '/api/v1/wallets'])('POST %s creates a wallet with balance 0.00', async (url) => {
    const res = await t.app.inject({ method: 'POST', url });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['available_balance', 'balance', 'created_at', 'currency', 'external_id', 'id', 'max_balance',
      'metadata', 'min_balance', 'scale', 'status', 'updated_at']);
    expect(body.id).toMatch(UUID);
    expect(body.balance).toBe('0.00');
    expect(body.available_balance).toBe('0.00'); // issue 11: balance minus active holds
    expect(body.created_at).toMatch(ISO);
    expect(body.updated_at).toMatch(ISO);
  });

  // Many client wrappers send Content-Type: application/json on every request; FastAPI answers 200.
  it.each([
    ['an empty body', undefined], ['{}', '{}'], ['whitespace', ' \n'],
  ])('POST /api/v1/wallets/ with Content-Type: application/json and %s creates a wallet', async (_name, payload) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/', headers: { 'content-type': 'application/json' }, payload });
    expect(res.statusCode).toBe(200);
    expect(res.json().balance).toBe('0.00');
  });

  it('POST /api/v1/wallets/ over real HTTP with Content-Type: application/json and no body is 200', async () => {
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/api/v1/wallets/`, { method: 'POST', headers: { 'content-type': 'application/json', ...t.authHeaders } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { balance: string }).balance).toBe('0.00');
  });

  it('POST /api/v1/wallets/ with a malformed JSON body is still 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/', headers: { 'content-type': 'application/json' }, payload: '{bad' });
    expect(res.statusCode).toBe(400);
    expect(typeof res.json().detail).toBe('string');
  });

  it('GET returns the wallet', async () => {
    const id = await fundedWallet('12.30');
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, balance: '12.30' });
  });

  it('GET of an unknown wallet is 404 Wallet not found', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/wallets/00000000-0000-4000-8000-000000000000' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Wallet not found' });
  });

  it('GET with a malformed uuid is 422 in FastAPI shape', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/wallets/not-a-uuid' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail: [{ loc: ['path', 'wallet_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }] });
  });
});

describe('operations', () => {
  it('DEPOSIT answers the stored operation with the balance after it', async () => {
    const id = await createWallet(t.app);
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '100.00' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['amount', 'balance', 'created_at', 'id', 'operation_type', 'status', 'wallet_id']);
    expect(body).toMatchObject({ wallet_id: id, operation_type: 'DEPOSIT', amount: '100.00', status: 'SUCCESS', balance: '100.00' });
    expect(body.id).toMatch(UUID_V7);
    const stored = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations/${body.id}` });
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toEqual(body);
  });

  it('WITHDRAW lowers the balance', async () => {
    const id = await fundedWallet('100.00');
    const res = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '30.55' });
    expect(res.json()).toMatchObject({ status: 'SUCCESS', balance: '69.45', amount: '30.55' });
    expect(await balanceOf(t.app, id)).toBe('69.45');
  });

  it('withdrawing more than the balance is 400 and changes nothing', async () => {
    const id = await fundedWallet('50.00');
    const res = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '50.01' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ detail: 'Insufficient funds: balance 50.00, requested 50.01' });
    expect(await balanceOf(t.app, id)).toBe('50.00');
  });

  it('withdrawing the whole balance leaves 0.00', async () => {
    const id = await fundedWallet('50.00');
    const res = await operate(t.app, id, { operation_type: 'WITHDRAW', amount: '50' });
    expect(res.json()).toMatchObject({ status: 'SUCCESS', balance: '0.00' });
  });

  it('a deposit past 9999999999999999.99 is 400 and changes nothing', async () => {
    const id = await fundedWallet('9999999999999999.00');
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '1.00' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ detail: 'Balance limit exceeded: balance 9999999999999999.00 plus deposit 1.00 would exceed the maximum balance 9999999999999999.99' });
    expect(await balanceOf(t.app, id)).toBe('9999999999999999.00');
    const exact = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '0.99' });
    expect(exact.json()).toMatchObject({ status: 'SUCCESS', balance: '9999999999999999.99' });
  });

  it('an operation on an unknown wallet is 404', async () => {
    const res = await operate(t.app, '00000000-0000-4000-8000-000000000001', { operation_type: 'DEPOSIT', amount: '1.00' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Wallet not found' });
  });

  it('GET of an unknown operation is 404 Operation not found', async () => {
    const id = await createWallet(t.app);
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations/00000000-0000-4000-8000-000000000002` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Operation not found' });
  });

  it('GET of an operation on another wallet is 404', async () => {
    const a = await createWallet(t.app);
    const b = await createWallet(t.app);
    const op = (await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '1.00' })).json();
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${b}/operations/${op.id}` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Operation not found' });
  });

  describe('JSON numbers are taken by their exact text', () => {
    it.each([
      ['0.1', '0.10'], ['1234567890123456.78', '1234567890123456.78'], ['100', '100.00'], ['9999999999999999.99', '9999999999999999.99'],
    ])('amount %s means %s', async (numberText, expected) => {
      const id = await createWallet(t.app);
      const res = await operate(t.app, id, `{"operation_type":"DEPOSIT","amount":${numberText}}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ amount: expected, balance: expected });
    });
  });

  const amountCases: [string, string, string, string][] = [
    ['"-5.00"', 'negative', 'Input should be greater than 0', 'greater_than'],
    ['-5', 'negative number', 'Input should be greater than 0', 'greater_than'],
    ['"0"', 'zero', 'Input should be greater than 0', 'greater_than'],
    ['0.00', 'zero number', 'Input should be greater than 0', 'greater_than'],
    ['"1.001"', 'three decimals', 'Decimal input should have no more than 2 decimal places', 'decimal_max_places'],
    ['0.001', 'three decimals number', 'Decimal input should have no more than 2 decimal places', 'decimal_max_places'],
    ['"10000000000000000.00"', 'over the maximum', 'Input should be less than or equal to 9999999999999999.99', 'less_than_equal'],
    ['12345678901234567890', 'huge number', 'Input should be less than or equal to 9999999999999999.99', 'less_than_equal'],
    ['"abc"', 'non-numeric', 'Input should be a valid decimal', 'decimal_parsing'],
    ['"NaN"', 'NaN', 'Input should be a valid decimal', 'decimal_parsing'],
    ['"Infinity"', 'Infinity', 'Input should be a valid decimal', 'decimal_parsing'],
    ['"-Infinity"', '-Infinity', 'Input should be a valid decimal', 'decimal_parsing'],
    ['1e2', 'exponent number', 'Input should be a valid decimal', 'decimal_parsing'],
    ['"1E2"', 'exponent string', 'Input should be a valid decimal', 'decimal_parsing'],
    ['null', 'null', 'Decimal input should be an integer, float, string or Decimal object', 'decimal_type'],
    ['true', 'boolean', 'Decimal input should be an integer, float, string or Decimal object', 'decimal_type'],
    ['[1]', 'array', 'Decimal input should be an integer, float, string or Decimal object', 'decimal_type'],
  ];
  it.each(amountCases)('amount %s (%s) is 422 and changes nothing', async (amountJson, _name, msg, type) => {
    const id = await fundedWallet('10.00');
    const res = await operate(t.app, id, `{"operation_type":"DEPOSIT","amount":${amountJson}}`);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail: [{ loc: ['body', 'amount'], msg, type }] });
    expect(await balanceOf(t.app, id)).toBe('10.00');
  });

  it.each([
    ['{"operation_type":"DEPOSIT"}', [{ loc: ['body', 'amount'], msg: 'Field required', type: 'missing' }]],
    ['{"amount":"1.00"}', [{ loc: ['body', 'operation_type'], msg: 'Field required', type: 'missing' }]],
    ['{"operation_type":"deposit","amount":"1.00"}', [{ loc: ['body', 'operation_type'], msg: "Input should be 'DEPOSIT' or 'WITHDRAW'", type: 'enum' }]],
    ['{"operation_type":"TRANSFER","amount":"1.00"}', [{ loc: ['body', 'operation_type'], msg: "Input should be 'DEPOSIT' or 'WITHDRAW'", type: 'enum' }]],
    ['{"operation_type":null,"amount":"1.00"}', [{ loc: ['body', 'operation_type'], msg: "Input should be 'DEPOSIT' or 'WITHDRAW'", type: 'enum' }]],
    ['{}', [
      { loc: ['body', 'operation_type'], msg: 'Field required', type: 'missing' },
      { loc: ['body', 'amount'], msg: 'Field required', type: 'missing' },
    ]],
    ['[]', [{ loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' }]],
    ['"DEPOSIT"', [{ loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' }]],
    ['42', [{ loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' }]],
    ['null', [{ loc: ['body'], msg: 'Field required', type: 'missing' }]],
  ])('body %s is 422', async (payload, detail) => {
    const id = await fundedWallet('10.00');
    const res = await operate(t.app, id, payload);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail });
    expect(await balanceOf(t.app, id)).toBe('10.00');
  });

  it.each([
    ['{bad json', 400], ['{"operation_type":"DEPOSIT","amount":1.0.0}', 400],
    ['{"a":1,"a":2}', 400], [`${'['.repeat(5000)}${']'.repeat(5000)}`, 400],
  ])('malformed body %#: 4xx with a detail, never 5xx', async (payload, status) => {
    const id = await fundedWallet('10.00');
    const res = await operate(t.app, id, payload);
    expect(res.statusCode).toBe(status);
    expect(typeof res.json().detail).toBe('string');
    expect(await balanceOf(t.app, id)).toBe('10.00');
  });

  it('a text/plain body is 422 (not an object), as in FastAPI', async () => {
    const id = await fundedWallet('10.00');
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/operation`, headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ loc: ['body'], type: 'model_attributes_type' });
  });

  it('an unsupported content type is 415 with a detail', async () => {
    const id = await fundedWallet('10.00');
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/operation`, headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ detail: 'Unsupported Content-Type; send application/json' });
    expect(await balanceOf(t.app, id)).toBe('10.00');
  });

  it.each([
    ['no Content-Type', {}], ['Content-Type: application/json', { 'content-type': 'application/json' }],
  ])('a POST without a body (%s) is 422 Field required, as FastAPI answers', async (_name, headers) => {
    const id = await fundedWallet('10.00');
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${id}/operation`, headers });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] });
    expect(await balanceOf(t.app, id)).toBe('10.00');
  });

  it('a body over the limit is 413 with a detail', async () => {
    const id = await fundedWallet('10.00');
    const res = await operate(t.app, id, JSON.stringify({ operation_type: 'DEPOSIT', amount: '1', pad: 'x'.repeat(t.config.bodyLimitBytes) }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: 'Request body is too large' });
  });

  it('a malformed wallet id on an operation is 422', async () => {
    const res = await operate(t.app, 'xyz', { operation_type: 'DEPOSIT', amount: '1.00' });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ loc: ['path', 'wallet_id'], type: 'uuid_parsing' });
  });
});

describe('service endpoints', () => {
  it('GET /health is 200', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI spec with every endpoint', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json();
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining([
      '/api/v1/wallets', '/api/v1/wallets/{wallet_id}', '/api/v1/wallets/{wallet_id}/operation',
      '/api/v1/wallets/{wallet_id}/operations/{operation_id}',
    ]));
    const op = spec.paths['/api/v1/wallets/{wallet_id}/operation'].post;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '422']));
  });

  it('serves Swagger UI and its assets itself (no CDN)', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
    const bundle = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
  });

  it('unknown routes are 404 with a detail', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Not Found' });
  });

  it('echoes a request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
  });
});

describe('over-long ids', () => {
  it('a 500-character wallet id is 422 like any malformed uuid', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${'a'.repeat(500)}` });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ loc: ['path', 'wallet_id'], type: 'uuid_parsing' });
  });
});
