/**
 * Credentials never reach the log: pino censors authorization and cookie headers wherever a log
 * object carries them (issue 25, item 8), and a request's own lines never hold its key.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createLedgerDatabase, type LedgerDb } from '../../src/ledger/tables.js';
import { bearer, makeKey, newTenant, testConfig } from '../support/test-app.js';

const lines: string[] = [];
const stream = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done(); } });
let app: FastifyInstance;
let db: LedgerDb;

beforeAll(async () => {
  const config = testConfig({ logLevel: 'info' });
  db = createLedgerDatabase({ url: config.databaseUrl!, poolSizeMax: 2, connectTimeoutMs: 5000, idleTimeoutMs: 10_000, queryTimeoutMs: 10_000 });
  app = await buildApp({ config, db, logger: { level: 'info', stream } });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await db.close();
});

describe('log redaction', () => {
  it('censors authorization and cookie headers in any log object', () => {
    const secret = 'wsk_0123456789abcdef_secret-that-must-not-be-logged';
    app.log.info({ request: { headers: { authorization: `Bearer ${secret}`, cookie: `session=${secret}`, accept: 'application/json' } } }, 'a');
    app.log.info({ headers: { authorization: `Bearer ${secret}`, cookie: `session=${secret}` } }, 'b');
    app.log.info({ response: { headers: { 'set-cookie': `session=${secret}` } } }, 'c');
    app.log.info({ authorization: `Bearer ${secret}` }, 'd');
    const logged = lines.slice(-4).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => l.msg)).toEqual(['a', 'b', 'c', 'd']);
    expect(logged[0]!.request).toEqual({ headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' } });
    expect(logged[1]!.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]' });
    expect(logged[2]!.response).toEqual({ headers: { 'set-cookie': '[redacted]' } });
    expect(logged[3]!.authorization).toBe('[redacted]');
    expect(lines.join('')).not.toContain(secret);
  });

  it('a request with a key, accepted or refused, leaves no trace of it in the log', async () => {
    const key = (await makeKey(newTenant())).key;
    await app.inject({ method: 'POST', url: '/api/v1/wallets', headers: { ...bearer(key), cookie: 'a=b' } });
    await app.inject({ method: 'GET', url: '/api/v1/wallets/not-a-uuid', headers: bearer(`${key}x`) });
    expect(lines.join('')).not.toContain(key.slice(20));
  });
});
