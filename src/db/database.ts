/**
 * The one place that creates the pool. Everything here follows PgBouncer's transaction-pooling
 * rules: unnamed statements only, settings with SET LOCAL inside a transaction, no session state.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export interface DatabaseOptions {
  url: string;
  poolSizeMax: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Client-side bound on one query: catches a server that stopped answering (paused, partitioned). */
  queryTimeoutMs: number;
  onIdleClientError?: (error: Error) => void;
}

export interface Db {
  pool: pg.Pool;
  kysely: Kysely<Database>;
  close(): Promise<void>;
}

/** COMMIT was sent but its answer never arrived: the transaction may or may not have committed. */
export class CommitOutcomeUnknown extends Error {
  constructor(override readonly cause: unknown) {
    super(`COMMIT outcome unknown: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'CommitOutcomeUnknown';
  }
}

// NUMERIC stays a string (money never becomes a JS number); int8 too (sequence numbers).
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.NUMERIC || oid === pg.types.builtins.INT8) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  },
};

export function createDatabase(options: DatabaseOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSizeMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    keepAlive: true,
    application_name: 'wallet-service',
    types,
  } as pg.PoolConfig);
  // Errors of idle clients (server restart, PgBouncer restart) arrive here; without a listener
  // they would crash the process. The pool drops the broken client by itself.
  pool.on('error', (error) => options.onIdleClientError?.(error));
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    pool,
    kysely,
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy(); // ends the pool
    },
  };
}

export interface TransactionLimits {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * Runs `work` in one transaction on one checked-out client, BEGIN to COMMIT. A client whose
 * connection broke is destroyed, never returned to the pool. A failure of the COMMIT itself
 * is reported as CommitOutcomeUnknown, because only then can the work have been applied.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  limits: TransactionLimits,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no pool listener: an 'error' between queries would otherwise be
  // an uncaught exception. The failing query (if any) still rejects with the same error.
  let broken: Error | undefined;
  const onError = (error: Error) => { broken = error; };
  client.on('error', onError);
  let releaseError: Error | undefined;
  try {
    // One round trip: simple-protocol multi-statement, values are validated integers.
    await client.query(
      `BEGIN; SET LOCAL lock_timeout = '${Math.trunc(limits.lockTimeoutMs)}ms'; ` +
      `SET LOCAL statement_timeout = '${Math.trunc(limits.statementTimeoutMs)}ms'`);
    let result: T;
    try {
      result = await work(client);
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => { releaseError = rollbackError; });
      throw error;
    }
    try {
      await client.query('COMMIT');
    } catch (error) {
      releaseError = error as Error;
      throw new CommitOutcomeUnknown(error);
    }
    return result;
  } catch (error) {
    releaseError ??= broken ?? (isConnectionLevel(error) ? (error as Error) : undefined);
    throw error;
  } finally {
    client.off('error', onError);
    // release(error) destroys the connection instead of pooling it.
    client.release(releaseError ?? broken);
  }
}

/**
 * Runs a whole transaction sent as ONE simple-protocol message ("BEGIN; SET LOCAL ...; ...;
 * COMMIT"): one round trip, so a batch costs its work plus a single network hop. Returns the
 * result of every statement. The text must contain only trusted or escaped values.
 *
 * Outcome rules: an ERROR from the server means the script stopped before its COMMIT, so nothing
 * was applied (the aborted transaction is rolled back and the error rethrown). Any other failure
 * (connection lost, FATAL termination, client-side timeout) may have happened after the COMMIT
 * took effect: it is reported as CommitOutcomeUnknown.
 */
export async function runTransactionScript(pool: pg.Pool, script: string): Promise<pg.QueryResult[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => { broken = error; };
  client.on('error', onError);
  let releaseError: Error | undefined;
  try {
    const result = await client.query(script) as unknown as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    const severity = (error as { severity?: unknown }).severity;
    if (!broken && typeof severity === 'string' && severity === 'ERROR') {
      await client.query('ROLLBACK').catch((rollbackError: Error) => { releaseError = rollbackError; });
      throw error;
    }
    releaseError = error as Error;
    throw new CommitOutcomeUnknown(error);
  } finally {
    client.off('error', onError);
    client.release(releaseError ?? broken);
  }
}

/** Errors after which the connection itself cannot be trusted (anything but an SQL error). */
function isConnectionLevel(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return !(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P'));
}
