/**
 * The text behind `npm run pools`: PgBouncer's console (SHOW POOLS, STATS, SERVERS, CLIENTS,
 * TOTALS) and PostgreSQL's own view (pg_stat_activity), as tables a person can read.
 */
import pg from 'pg';
import { type ConsoleRow, openConsole } from './pgbouncer.js';

export interface Table {
  title: string;
  note?: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export function renderTable(table: Table): string {
  const cells = [table.columns, ...table.rows.map((r) => r.map((c) => (c === null ? '' : String(c))))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = table.columns.map((_, i) => table.rows.length > 0 && table.rows.every((r) => r[i] === null || /^-?\d+(\.\d+)?$/.test(String(r[i]))));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [`== ${table.title}${table.note ? `  (${table.note})` : ''}`, line(table.columns), line(widths.map((w) => '-'.repeat(w)))];
  out.push(...(table.rows.length > 0 ? table.rows.map((r) => line(r.map((c) => (c === null ? '' : String(c))))) : ['(none)']));
  return out.join('\n');
}

const n = (row: ConsoleRow, key: string) => Number(row[key] ?? 0);
const usToMs = (us: number) => (us / 1000).toFixed(2);

function pick(rows: ConsoleRow[], columns: string[]): (string | null)[][] {
  return rows.map((r) => columns.map((c) => r[c] ?? null));
}

export async function pgbouncerTables(consoleUrl: string, raw: boolean): Promise<Table[]> {
  const console = await openConsole(consoleUrl);
  try {
    const [pools, stats, servers, clients, totals] = [
      await console.show('SHOW POOLS'), await console.show('SHOW STATS'), await console.show('SHOW SERVERS'),
      await console.show('SHOW CLIENTS'), await console.show('SHOW TOTALS'),
    ];
    if (raw) {
      const all = (title: string, rows: ConsoleRow[]): Table => ({ title, columns: Object.keys(rows[0] ?? {}), rows: rows.map((r) => Object.values(r)) });
      return [all('SHOW POOLS', pools), all('SHOW STATS', stats), all('SHOW SERVERS', servers), all('SHOW CLIENTS', clients), all('SHOW TOTALS', totals)];
    }
    const mine = (rows: ConsoleRow[]) => rows.filter((r) => r.database !== 'pgbouncer');
    const clientGroups = new Map<string, number>();
    for (const c of mine(clients)) {
      const key = [c.database, c.user, c.state, c.addr].join('\u0000');
      clientGroups.set(key, (clientGroups.get(key) ?? 0) + 1);
    }
    return [
      {
        title: 'SHOW POOLS', note: 'cl_* client connections, sv_* server connections; maxwait = oldest waiting client, s',
        columns: ['database', 'user', 'cl_active', 'cl_waiting', 'sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login', 'maxwait', 'pool_mode'],
        rows: pick(mine(pools), ['database', 'user', 'cl_active', 'cl_waiting', 'sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login', 'maxwait', 'pool_mode']),
      },
      {
        title: 'SHOW STATS', note: 'totals since start; avg_* per second over the last stats_period, times in ms',
        columns: ['database', 'xacts', 'queries', 'xact/s', 'query/s', 'avg_xact_ms', 'avg_query_ms', 'avg_wait_ms', 'total_wait_ms'],
        rows: mine(stats).map((r) => [r.database ?? '', n(r, 'total_xact_count'), n(r, 'total_query_count'), n(r, 'avg_xact_count'),
          n(r, 'avg_query_count'), usToMs(n(r, 'avg_xact_time')), usToMs(n(r, 'avg_query_time')), usToMs(n(r, 'avg_wait_time')),
          usToMs(n(r, 'total_wait_time'))]),
      },
      {
        title: 'SHOW SERVERS', note: 'one row per connection to PostgreSQL; remote_pid = its backend',
        columns: ['user', 'database', 'state', 'addr', 'port', 'connect_time', 'request_time', 'remote_pid'],
        rows: pick(servers, ['user', 'database', 'state', 'addr', 'port', 'connect_time', 'request_time', 'remote_pid']),
      },
      {
        title: 'SHOW CLIENTS', note: 'grouped: client connections per database, user, state and address',
        columns: ['database', 'user', 'state', 'addr', 'connections'],
        rows: [...clientGroups.entries()].map(([k, count]) => [...k.split('\u0000'), count]),
      },
      {
        title: 'SHOW TOTALS', columns: ['name', 'value'],
        rows: totals.filter((r) => /xact_count|query_count|received|sent|wait_time/.test(r.name ?? '')).map((r) => [r.name ?? '', r.value ?? '']),
      },
    ];
  } finally {
    await console.close();
  }
}

export async function postgresTables(postgresUrl: string): Promise<Table[]> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const activity = await client.query<{ usename: string | null; application_name: string; state: string | null; connections: number }>(`
      SELECT usename, application_name, coalesce(state, '') AS state, count(*)::int AS connections
        FROM pg_stat_activity
       WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
    const limits = await client.query<{ total: number; max: string; reserved: string }>(`
      SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS total,
             current_setting('max_connections') AS max, current_setting('superuser_reserved_connections') AS reserved`);
    const l = limits.rows[0]!;
    return [{
      title: 'pg_stat_activity', note: `client backends ${l.total} of max_connections ${l.max} (${l.reserved} reserved for superusers; this query's own included)`,
      columns: ['user', 'application_name', 'state', 'connections'],
      rows: activity.rows.map((r) => [r.usename, r.application_name, r.state, r.connections]),
    }];
  } finally {
    await client.end();
  }
}
