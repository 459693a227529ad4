/**
 * `tsx tools/ha/ha-pools.ts` (meant as `npm run pools -- --ha`): which node is primary, and the
 * replication state seen from it (pg_stat_replication: sync state, lag in bytes and time), plus
 * Patroni's view (/cluster) and HAProxy's (which server is UP). Reads STACK_HA_DIR/ha-stack.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { haSecretsFile, haStackDir, haStackFile, type HaStackFile } from './ha-stack.js';

interface Row {
  [column: string]: string | number | null | undefined;
}

function table(title: string, rows: Row[]): string {
  if (rows.length === 0) return `${title}\n  (none)`;
  const columns = Object.keys(rows[0]!);
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (values: string[]) => `  ${values.map((v, i) => v.padEnd(width[i]!)).join('  ')}`;
  return [title, line(columns), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ''))))].join('\n');
}

export async function haReport(dir: string): Promise<string> {
  const file = haStackFile(dir);
  if (!existsSync(file)) throw new Error(`No running HA stack found (${file} is missing). Start one with \`npm run stack -- --ha\`.`);
  const stack = JSON.parse(readFileSync(file, 'utf8')) as HaStackFile;
  const { superuserPassword } = JSON.parse(readFileSync(haSecretsFile(dir), 'utf8')) as { superuserPassword: string };
  const parts: string[] = [];

  const members: Row[] = [];
  let leaderPort: number | undefined;
  for (const node of stack.cluster.nodes) {
    try {
      const res = await fetch(`${node.restUrl}/cluster`, { signal: AbortSignal.timeout(1500) });
      const body = (await res.json()) as { members: Array<{ name: string; role: string; state: string; port: number; timeline?: number; lag?: number | string }> };
      for (const m of body.members) {
        members.push({ member: m.name, role: m.role, state: m.state, port: m.port, timeline: m.timeline ?? '', 'lag': m.lag ?? '' });
        if (m.role === 'leader') leaderPort = m.port;
      }
      break;
    } catch { /* ask the next node */ }
  }
  parts.push(table('Patroni /cluster', members));

  if (leaderPort) {
    const client = new pg.Client({
      connectionString: `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${leaderPort}/postgres`, connectionTimeoutMillis: 3000,
    });
    await client.connect();
    try {
      const r = await client.query<Row>(`
        SELECT application_name AS standby, state, sync_state,
               pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS replay_lag_bytes,
               coalesce(round(extract(epoch FROM replay_lag) * 1000)::text, '0') AS replay_lag_ms
          FROM pg_stat_replication ORDER BY application_name`);
      const s = await client.query<Row>(`SELECT current_setting('synchronous_standby_names') AS synchronous_standby_names,
        current_setting('synchronous_commit') AS synchronous_commit, pg_current_wal_lsn()::text AS current_lsn`);
      parts.push(table(`pg_stat_replication on the primary (127.0.0.1:${leaderPort})`, r.rows), table('primary settings', s.rows));
    } finally {
      await client.end();
    }
  }

  try {
    const csv = await (await fetch(`${stack.cluster.haproxy.statsUrl};csv`, { signal: AbortSignal.timeout(1500) })).text();
    const rows = csv.split('\n').filter((l) => l.startsWith('primary,node')).map((l) => {
      const f = l.split(',');
      return { backend: f[0], server: f[1], status: f[17], 'current sessions': f[4], 'total sessions': f[7] };
    });
    parts.push(table(`HAProxy (writes on 127.0.0.1:${stack.cluster.haproxy.primaryPort})`, rows));
  } catch (error) {
    parts.push(`HAProxy: ${(error as Error).message}`);
  }
  return [`HA stack ${stack.apiUrl} at ${new Date().toISOString()}`, ...parts].join('\n\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(await haReport(haStackDir(process.env)));
  } catch (error) {
    console.error(`pools --ha: ${(error as Error).message}`);
    process.exit(1);
  }
}
