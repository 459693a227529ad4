/**
 * What a failure from PostgreSQL (or from the road to it) means for a retry. One place maps
 * SQLSTATEs and socket errors, so the retry policy reads as a list, not as scattered checks.
 */

/** SQLSTATEs after which the same transaction may succeed if simply tried again. */
const transientSqlStates = new Map<string, string>([
  ['40001', 'serialization_failure'],
  ['40P01', 'deadlock_detected'],
  ['55P03', 'lock_not_available'],
  ['57014', 'query_canceled'], // statement_timeout; the statement was rolled back
  ['57P01', 'admin_shutdown'],
  ['57P02', 'crash_shutdown'],
  ['57P03', 'cannot_connect_now'],
  ['53300', 'too_many_connections'],
  ['53400', 'configuration_limit_exceeded'],
  ['25P03', 'idle_in_transaction_session_timeout'],
  ['23505', 'unique_violation'], // two requests raced on one idempotency key: the retry replays
]);

const transientNodeCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
]);

const transientMessages = [
  /connection terminated/i,
  /connection.*(closed|ended|lost)/i,
  /timeout exceeded when trying to connect/i,
  /query read timeout/i,
  /server closed the connection/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /no more connections allowed/i, // PgBouncer max_client_conn
  /query_wait_timeout/i, // PgBouncer: waited too long for a server connection
  /server login has been failing/i,
  /pgbouncer cannot connect to server/i,
  /database .* is paused/i,
];

export interface ErrorClass {
  transient: boolean;
  /** SQLSTATE, Node error code or 'unknown': bounded, so safe as a metric label. */
  code: string;
}

export function classifyDbError(error: unknown): ErrorClass {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    if (transientSqlStates.has(code) || code.startsWith('08')) return { transient: true, code };
    // PgBouncer reports its own failures as 08P01 or XX000 with a telling message.
    if (transientMessages.some((re) => re.test(message))) return { transient: true, code };
    return { transient: false, code };
  }
  if (code && transientNodeCodes.has(code)) return { transient: true, code };
  if (transientMessages.some((re) => re.test(message))) return { transient: true, code: code ?? 'connection' };
  return { transient: false, code: code ?? 'unknown' };
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
