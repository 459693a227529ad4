/**
 * What a failure from PostgreSQL (or from the road to it) means, in one table: for each kind of
 * fault, whether the same transaction may succeed if simply tried again (transient), and whether
 * the fault proves that a transaction script stopped before its COMMIT could take effect
 * (notCommitted). The retry policy and the commit-outcome rules (src/db/database.ts) both read it.
 *
 * notCommitted is only ever claimed for an ERROR the server sent while the connection stayed
 * usable: the script's statements run in order and an ERROR aborts the rest, COMMIT included.
 * A FATAL, a lost connection or a client-side timeout proves nothing: the COMMIT may have become
 * durable just before it.
 */

interface ErrorFields {
  code: string | undefined;
  message: string;
  /** The server's severity (ERROR, FATAL, ...) when the error came from a server. */
  severity: string | undefined;
}

interface FaultRule {
  /** Bounded name: safe as a log field; the metric label is the SQLSTATE or Node code. */
  name: string;
  matches(e: ErrorFields): boolean;
  transient: boolean;
  notCommitted: boolean;
  why: string;
}

const sqlState = (...codes: string[]) => (e: ErrorFields) => e.code !== undefined && codes.includes(e.code);
const message = (pattern: RegExp) => (e: ErrorFields) => pattern.test(e.message);
const isSqlState = (code: string | undefined): code is string => code !== undefined && /^[0-9A-Z]{5}$/.test(code);

/** First match wins. */
const FAULTS: readonly FaultRule[] = [
  {
    name: 'pooler_before_forwarding',
    matches: message(/query_wait_timeout|no more connections allowed|pgbouncer cannot connect to server|server login has been failing/i),
    transient: true, notCommitted: true,
    why: 'PgBouncer sends these only while a query still waits for a server connection: nothing was forwarded',
  },
  {
    name: 'pooler_paused', matches: message(/database .* is paused/i), transient: true, notCommitted: false,
    why: 'PgBouncer PAUSE/RECONNECT: wait and try again',
  },
  {
    name: 'connection_exception', matches: (e) => e.code?.startsWith('08') === true, transient: true, notCommitted: false,
    why: 'the connection broke; PgBouncer answers "server conn crashed?" (ERROR 08P01) even after a COMMIT became durable',
  },
  {
    name: 'server_shutdown', matches: sqlState('57P01', '57P02', '57P03'), transient: true, notCommitted: false,
    why: 'admin/crash shutdown or not accepting connections yet: the session ends (FATAL), possibly after COMMIT',
  },
  {
    name: 'concurrency_conflict', matches: sqlState('40001', '40P01', '55P03'), transient: true, notCommitted: true,
    why: 'serialization failure, deadlock or lock_timeout: the transaction was rolled back; another attempt may pass',
  },
  {
    name: 'statement_timeout', matches: sqlState('57014'), transient: true, notCommitted: true,
    why: 'statement_timeout or a cancel: the statement was rolled back (the COMMIT runs without a timeout)',
  },
  {
    name: 'idle_in_transaction_timeout', matches: sqlState('25P03'), transient: true, notCommitted: false,
    why: 'the server ended the session (FATAL): not proof of anything about a COMMIT',
  },
  {
    name: 'resource_limit', matches: sqlState('53300', '53400'), transient: true, notCommitted: true,
    why: 'too many connections or a configuration limit: refused before any work',
  },
  {
    name: 'read_only_node', matches: sqlState('25006'), transient: true, notCommitted: true,
    why: 'a write reached a standby or a demoted primary (failover): refused, the next connection may reach the new primary',
  },
  {
    name: 'idempotency_race', matches: sqlState('23505'), transient: true, notCommitted: true,
    why: 'two requests raced on one idempotency key: the retry finds the winner and replays it',
  },
  {
    name: 'socket_error',
    matches: (e) => e.code !== undefined &&
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'].includes(e.code),
    transient: true, notCommitted: false,
    why: 'the network failed; whatever was sent may have been executed',
  },
  {
    name: 'connection_lost',
    matches: message(/connection terminated|connection.*(closed|ended|lost)|timeout exceeded when trying to connect|query read timeout|server closed the connection|client has encountered a connection error|cannot use a pool after calling end/i),
    transient: true, notCommitted: false,
    why: 'node-postgres lost or timed out the connection; whatever was sent may have been executed',
  },
  {
    name: 'other_server_error', matches: (e) => isSqlState(e.code), transient: false, notCommitted: true,
    why: 'any other ERROR aborted the script before its COMMIT; trying again would fail the same way',
  },
];

const UNKNOWN: FaultRule = { name: 'unknown', matches: () => true, transient: false, notCommitted: false, why: 'not a database fault we know' };

export interface ErrorClass {
  transient: boolean;
  /** True only for an ERROR the server sent that aborted the script before COMMIT. */
  notCommitted: boolean;
  /** SQLSTATE, Node error code or 'unknown': bounded, so safe as a metric label. */
  code: string;
  rule: string;
}

export function classifyDbError(error: unknown): ErrorClass {
  const raw = error as { code?: unknown; message?: unknown; severity?: unknown } | null | undefined;
  const fields: ErrorFields = {
    code: typeof raw?.code === 'string' ? raw.code : undefined,
    message: typeof raw?.message === 'string' ? raw.message : '',
    severity: typeof raw?.severity === 'string' ? raw.severity : undefined,
  };
  const rule = FAULTS.find((r) => r.matches(fields)) ?? UNKNOWN;
  return {
    transient: rule.transient,
    notCommitted: rule.notCommitted && fields.severity === 'ERROR',
    code: fields.code ?? (rule.name === 'connection_lost' ? 'connection' : 'unknown'),
    rule: rule.name,
  };
}
