/** Builds the real app against the test PostgreSQL; each test file gets its own app and pool. */
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDatabase, type Db } from '../../src/db/database.js';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  close(): Promise<void>;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({}),
    databaseUrl: inject('databaseUrl'),
    logLevel: 'silent',
    poolSizeMax: 10,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 100,
    ...overrides,
  };
}

export async function createTestApp(overrides: Partial<Config> = {}, url?: string): Promise<TestApp> {
  const config = testConfig(overrides);
  const db = createDatabase({
    url: url ?? config.databaseUrl!,
    poolSizeMax: config.poolSizeMax,
    connectTimeoutMs: config.poolConnectTimeoutMs,
    idleTimeoutMs: config.poolIdleTimeoutMs,
    queryTimeoutMs: config.statementTimeoutMs + 1000,
  });
  const app = await buildApp({ config, db, logger: false });
  await app.ready();
  return {
    app, db, config,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/** A direct connection to PostgreSQL (never PgBouncer) for inspecting locks and injecting faults. */
export function adminPool(): pg.Pool {
  return new pg.Pool({ connectionString: inject('adminDatabaseUrl'), max: 4 });
}

export async function createWallet(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/wallets/' });
  if (res.statusCode !== 200) throw new Error(`create wallet: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

export async function operate(app: FastifyInstance, walletId: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/wallets/${walletId}/operation`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function balanceOf(app: FastifyInstance, walletId: string): Promise<string> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/wallets/${walletId}` });
  return (res.json() as { balance: string }).balance;
}

/** Polls until `check` returns a value, or fails after `timeoutMs` (no blind sleeps in tests). */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
