/**
 * The one place that creates the pool. Everything here follows PgBouncer's transaction-pooling
 * rules: unnamed statements only, settings with SET LOCAL inside a transaction, no session state.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { classifyDbError } from './pg-errors.js';

export interface DatabaseOptions {
  url: string;
  poolSizeMax: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Client-side bound on one query: catches a server that stopped answering (paused, partitioned). */
  queryTimeoutMs: number;
}

/** The pool and a Kysely over it, typed by the tables of whoever opens it (the ledger: src/ledger/tables.ts). */
export interface Db<Tables> {
  pool: pg.Pool;
  kysely: Kysely<Tables>;
  close(): Promise<void>;
}

/** COMMIT was sent but its answer never arrived: the transaction may or may not have committed. */
export class CommitOutcomeUnknown extends Error {
  constructor(override readonly cause: unknown) {
    super(`COMMIT outcome unknown: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = new.target.name;
  }
}

/**
 * The COMMIT took effect on this server, but its wait for the synchronous standby was cancelled
 * (PostgreSQL's WARNING "canceling wait for synchronous replication ... already committed
 * locally"): a failover may still lose it. Not retried: a retry would find the local commit and
 * call it SUCCESS. The answer is PENDING; a later GET or keyed retry tells the outcome.
 */
export class ReplicationUnconfirmed extends CommitOutcomeUnknown {}

const syncWaitCancelled = /canceling (the )?wait for synchronous replication/i;

// NUMERIC stays a string (money never becomes a JS number); int8 too (sequence numbers).
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.NUMERIC || oid === pg.types.builtins.INT8) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  },
};

export function createDatabase<Tables>(options: DatabaseOptions): Db<Tables> {
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
  // they would crash the process. The pool drops the broken client by itself; the server logs them.
  pool.on('error', () => undefined);
  // A checked-out client has no pool listener, and pg emits 'error' on every client whose socket
  // ends, even after failing its running query: without a listener of its own, a connection that
  // breaks while Kysely holds it (a read, wallet creation) is an uncaught exception that kills the
  // process (found by npm run faults; test/faults/checked-out-connection.test.ts). The failing
  // query still rejects, and the pool drops the client on release because it is no longer queryable.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
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

/**
 * Runs a whole transaction sent as ONE simple-protocol message ("BEGIN; SET LOCAL ...; ...;
 * COMMIT"): one round trip, so a batch costs its work plus a single network hop. Returns the
 * result of every statement. The text must contain only trusted or escaped values.
 *
 * Outcome rules: an ERROR from the server means the script stopped before its COMMIT, so nothing
 * was applied (the aborted transaction is rolled back and the error rethrown). Any other failure
 * (connection lost, FATAL termination, client-side timeout, a pooler's connection-class ERROR) may
 * have happened after the COMMIT took effect: it is reported as CommitOutcomeUnknown.
 */
export async function runTransactionScript(pool: pg.Pool, script: string): Promise<pg.QueryResult[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  let replicationCancelled: { message?: string } | undefined;
  const onError = (error: Error) => { broken = error; };
  const onNotice = (notice: { message?: string }) => {
    if (syncWaitCancelled.test(notice.message ?? '')) replicationCancelled = notice;
  };
  client.on('error', onError);
  client.on('notice', onNotice);
  let releaseError: Error | undefined;
  try {
    const result = await client.query(script) as unknown as pg.QueryResult | pg.QueryResult[];
    if (replicationCancelled) throw new ReplicationUnconfirmed(replicationCancelled);
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    if (error instanceof ReplicationUnconfirmed) throw error;
    if (replicationCancelled) throw new ReplicationUnconfirmed(error);
    if (!broken && classifyDbError(error).notCommitted) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => { releaseError = rollbackError; });
      throw error;
    }
    releaseError = error as Error;
    throw new CommitOutcomeUnknown(error);
  } finally {
    client.off('error', onError);
    client.off('notice', onNotice);
    client.release(releaseError ?? broken);
  }
}
