/**
 * Builds the real app against the test PostgreSQL; each test file gets its own app and pool:
 * `const t = useTestApp({ ...overrides })` at the top of a file or describe block builds it before
 * the block's tests and closes it after them (fastify/demo's `build(t)`, as hooks); a test that
 * needs an app of its own calls `await buildTestApp(...)`, closed when that test finishes.
 * With access control on (the default) each app gets its own tenant and a key with every scope,
 * and `t.app.inject` sends that key unless the request names its own `authorization` header
 * (tests of access control itself; `authorization: undefined` sends none). AUTH_REQUIRED=false in
 * the environment runs the suite in the open mode instead: wallet routes act as tenant `default`
 * whatever is sent, and the key sent (tenant `default`, every scope) serves the routes that still
 * need one there (webhooks, /metrics, /dashboard/data).
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, inject, onTestFinished } from 'vitest';
import { waitFor as waitUntil } from '../../src/lib/wait-for.js';
import { buildApp } from '../../src/app.js';
import { OPEN_TENANT } from '../../src/auth/auth-plugin.js';
import { OPERATOR_SCOPE, TENANT_SCOPES, type Scope } from '../../src/auth/scopes.js';
import { createKey, type CreatedKey, operatorTenant } from '../../src/auth/key-store.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createLedgerDatabase, type LedgerDb } from '../../src/ledger/tables.js';
import type { Tracing } from '../../src/tracing/tracing.js';

export interface TestApp {
  app: FastifyInstance;
  db: LedgerDb;
  config: Config;
  /** The tenant this app's default key belongs to (`default` in the open mode). */
  tenant: string;
  /** The default key (null in the open mode, where wallet routes take no key). */
  key: CreatedKey | null;
  /** Headers that carry the default key (in the open mode: a key of tenant `default`), for real HTTP requests. */
  authHeaders: Record<string, string>;
  /** A key of the operator tenant with the operator scope (/metrics, /dashboard/data; the open mode needs one too), and headers that carry it. */
  operatorKey: CreatedKey;
  operatorHeaders: Record<string, string>;
  close(): Promise<void>;
}

/** False when the suite runs with AUTH_REQUIRED=false (the open contract). */
export const authRequired = !/^(0|false|no|off)$/i.test(process.env.AUTH_REQUIRED ?? '');

/** A fresh tenant name, unique per call. */
export function newTenant(prefix = 't'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** A key made the way `npm run keys -- create` makes it (as the schema owner). */
export async function makeKey(tenant: string, scopes: readonly Scope[] = TENANT_SCOPES, expiresAt: Date | null = null,
  ownerUrl?: string): Promise<CreatedKey> {
  const pool = ownerUrl ? new pg.Pool({ connectionString: ownerUrl, max: 1 }) : adminPool();
  try {
    return await createKey(pool, { tenant, scopes: [...scopes], expiresAt, actor: 'test' });
  } finally {
    await pool.end();
  }
}

/**
 * A key of the operator tenant with the operator scope, as `npm run keys -- create --operator`
 * makes it: the test database's operator tenant is `operator` unless something made another one it.
 */
export async function makeOperatorKey(ownerUrl?: string): Promise<CreatedKey> {
  const pool = ownerUrl ? new pg.Pool({ connectionString: ownerUrl, max: 1 }) : adminPool();
  try {
    const tenant = (await operatorTenant(pool)) ?? 'operator';
    return await createKey(pool, { tenant, scopes: [OPERATOR_SCOPE], actor: 'test', designateOperator: true });
  } finally {
    await pool.end();
  }
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/** Makes app.inject send `headers` unless a request names its own authorization header. */
export function injectWithHeaders(app: FastifyInstance, headers: Record<string, string>): void {
  const original = app.inject.bind(app) as (options: InjectOptions) => ReturnType<FastifyInstance['inject']>;
  const wrapped = (options: InjectOptions | string) => {
    const given = typeof options === 'string' ? { url: options } : options;
    const own = Object.entries(given.headers ?? {});
    const named = own.some(([name]) => name.toLowerCase() === 'authorization');
    const merged = Object.fromEntries([...(named ? [] : Object.entries(headers)), ...own].filter(([, v]) => v !== undefined));
    return original({ ...given, headers: merged });
  };
  app.inject = wrapped as FastifyInstance['inject'];
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({});
  return {
    ...base,
    databaseUrl: inject('databaseUrl'),
    logLevel: 'silent',
    poolSizeMax: 10,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 100,
    ...overrides,
    auth: { ...base.auth, required: authRequired, ...overrides.auth },
    // Every test app shares one database: only tests of webhooks run a dispatcher (and say how).
    webhooks: { ...base.webhooks, dispatcherEnabled: false, ...overrides.webhooks },
  };
}

/** A value, or a function giving it when the app is built (e.g. the port of a proxy started by then). */
export type Lazy<T> = T | (() => T | Promise<T>);

export interface TestAppOptions {
  /** Another database for the app (default: the test database). */
  url?: Lazy<string>;
  /** Where to create the app's key (default: the test database). */
  ownerUrl?: Lazy<string>;
  /** Where the app logs, at config.logLevel (default: no logger while logLevel is silent). */
  logStream?: Writable;
  /** Tracing for the app (tests of tracing); its owner shuts it down. */
  tracing?: Lazy<Tracing | null>;
  /** Runs before `ready()`: a test may add a route of its own. */
  beforeReady?: (app: FastifyInstance) => void;
}

/** What useTestApp hands a file: the app of the running block, read inside its tests and hooks. */
export type UsedTestApp = Omit<TestApp, 'close'>;

const resolve = async <T>(value: Lazy<T>): Promise<T> =>
  typeof value === 'function' ? await (value as () => T | Promise<T>)() : value;

async function openTestApp(overrides: Lazy<Partial<Config>>, options: TestAppOptions): Promise<TestApp> {
  const config = testConfig(await resolve(overrides));
  const db = createLedgerDatabase({
    url: (await resolve(options.url)) ?? config.databaseUrl!,
    poolSizeMax: config.poolSizeMax,
    connectTimeoutMs: config.poolConnectTimeoutMs,
    idleTimeoutMs: config.poolIdleTimeoutMs,
    queryTimeoutMs: config.statementTimeoutMs + 1000,
  });
  const tenant = config.auth.required ? newTenant() : OPEN_TENANT;
  // Open mode too: the wallet routes ignore the key, the routes that still need one get it.
  const made = await makeKey(tenant, TENANT_SCOPES, null, await resolve(options.ownerUrl));
  const key = config.auth.required ? made : null;
  const operatorKey = await makeOperatorKey(await resolve(options.ownerUrl));
  const operatorHeaders = bearer(operatorKey.key);
  const silent = config.logLevel === 'silent' && !options.logStream;
  const logger = silent ? false : { level: config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) };
  const app = await buildApp({ config, db, logger, tracing: (await resolve(options.tracing)) ?? null });
  options.beforeReady?.(app);
  await app.ready();
  const authHeaders = bearer(made.key);
  injectWithHeaders(app, authHeaders);
  let closed: Promise<void> | undefined;
  return {
    app, db, config, tenant, key, authHeaders, operatorKey, operatorHeaders,
    close() {
      closed ??= app.close().then(() => db.close());
      return closed;
    },
  };
}

/**
 * The app of a file or describe block: built in its beforeAll, closed in its afterAll. Fixtures
 * the app depends on (a proxy, a PgBouncer) are set up first, so their hooks run before this
 * one's and close after it. Reading the result outside a test or hook of the block throws.
 */
export function useTestApp(overrides: Lazy<Partial<Config>> = {}, options: TestAppOptions = {}): UsedTestApp {
  let built: TestApp | undefined;
  beforeAll(async () => { built = await openTestApp(overrides, options); });
  afterAll(async () => {
    await built?.close();
    built = undefined;
  });
  const current = (): TestApp => {
    if (!built) throw new Error('useTestApp: the app exists only inside the tests and hooks of the block that uses it');
    return built;
  };
  return {
    get app() { return current().app; },
    get db() { return current().db; },
    get config() { return current().config; },
    get tenant() { return current().tenant; },
    get key() { return current().key; },
    get authHeaders() { return current().authHeaders; },
    get operatorKey() { return current().operatorKey; },
    get operatorHeaders() { return current().operatorHeaders; },
  };
}

/**
 * An app for the running test only (its own settings, a fresh metrics registry, another tenant),
 * closed when the test finishes; `close()` may end it earlier (e.g. to stop its dispatcher).
 */
export async function buildTestApp(overrides: Lazy<Partial<Config>> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const t = await openTestApp(overrides, options);
  onTestFinished(() => t.close());
  return t;
}

/** The app's kind of pool without an app (engine tests below HTTP), for a file or describe block. */
export function useTestDb(url: Lazy<string> = () => inject('databaseUrl')): Omit<LedgerDb, 'close'> {
  let db: LedgerDb | undefined;
  beforeAll(async () => {
    db = createLedgerDatabase({ url: await resolve(url), poolSizeMax: 4, connectTimeoutMs: 2000, idleTimeoutMs: 10_000, queryTimeoutMs: 6000 });
  });
  afterAll(async () => {
    await db?.close();
    db = undefined;
  });
  const current = (): LedgerDb => {
    if (!db) throw new Error('useTestDb: the pool exists only inside the tests and hooks of the block that uses it');
    return db;
  };
  return { get pool() { return current().pool; }, get kysely() { return current().kysely; } };
}

/** The direct admin pool of a file or describe block, ended after its tests. */
export function useAdminPool(): pg.Pool {
  const pool = adminPool();
  afterAll(() => pool.end());
  return pool;
}

/** A direct connection to PostgreSQL (never PgBouncer) for inspecting locks and injecting faults. */
export function adminPool(): pg.Pool {
  return new pg.Pool({ connectionString: inject('adminDatabaseUrl'), max: 4 });
}

/** `headers`: another key's (default: the app's). */
export async function createWallet(app: FastifyInstance, headers: Record<string, string> = {}): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/wallets/', headers });
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

/** Polls until `check` returns a value, or fails after `timeoutMs` (no blind sleeps in tests): the one waitFor, test-shaped. */
export function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  return waitUntil(check, { what, timeoutMs, intervalMs: 20 });
}
