/**
 * `npm run pools -- --citus`: the Citus stack's nodes (pg_dist_node, and whether each answers),
 * the shards each node holds per co-location group, the prepared transactions (2PC) each node
 * has open and the coordinator's pg_dist_transaction records (what citus.recover_2pc_interval
 * settles), then PgBouncer's pools. Reads STACK_CITUS_DIR/citus-stack.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { pgbouncerTables, renderTable, type Table } from '../pgbouncer/pool-report.js';
import { citusStackFile, type CitusStackFile } from './citus-stack.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function citusReport(dir: string): Promise<string> {
  const file = citusStackFile(dir);
  if (!existsSync(file)) throw new Error(`No running Citus stack found (${file} is missing). Start one with \`npm run stack -- --citus\`.`);
  const stack = JSON.parse(readFileSync(file, 'utf8')) as CitusStackFile;
  const { superuserPassword } = JSON.parse(readFileSync(join(dir, 'nodes', 'secrets.json'), 'utf8')) as { superuserPassword: string };
  const url = (port: number) => `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${port}/postgres`;
  const coordinator = stack.nodes.find((n) => n.role === 'coordinator')!;
  const tables: Table[] = [];

  const registered = await query<{ nodeid: number; groupid: number; nodename: string; nodeport: number; isactive: boolean; shouldhaveshards: boolean }>(
    url(coordinator.port), 'SELECT nodeid, groupid, nodename, nodeport, isactive, shouldhaveshards FROM pg_dist_node ORDER BY groupid');
  const prepared: Table['rows'] = [];
  const nodes: Table['rows'] = [];
  for (const node of stack.nodes) {
    const meta = registered.find((r) => r.nodeport === node.port);
    let state = 'up';
    try {
      const [p] = await query<{ open: string; oldest_s: string | null }>(url(node.port),
        "SELECT count(*) AS open, round(extract(epoch FROM now() - min(prepared)))::text AS oldest_s FROM pg_prepared_xacts");
      prepared.push([node.name, Number(p!.open), p!.oldest_s]);
    } catch (error) {
      state = `down (${(error as Error).message})`;
    }
    nodes.push([node.name, node.role, `${node.host}:${node.port}`, meta?.nodeid ?? null, meta?.groupid ?? null,
      meta ? String(meta.isactive) : 'not registered', meta ? String(meta.shouldhaveshards) : null, state]);
  }
  tables.push({ title: 'nodes', columns: ['name', 'role', 'address', 'nodeid', 'groupid', 'active', 'has shards', 'state'], rows: nodes });

  const shards = await query<{ nodeport: number; colocation_id: number; tables: string; shards: string; bytes: string }>(url(coordinator.port), `
    SELECT s.nodeport, s.colocation_id, string_agg(DISTINCT s.table_name::text, ',' ORDER BY s.table_name::text) AS tables,
           count(*) AS shards, sum(s.shard_size) AS bytes
      FROM citus_shards s GROUP BY s.nodeport, s.colocation_id ORDER BY s.colocation_id, s.nodeport`);
  tables.push({
    title: 'shards per node', note: 'per co-location group; reference tables have one shard copied to every node',
    columns: ['node', 'colocation', 'shards', 'MB', 'tables'],
    rows: shards.map((s) => [stack.nodes.find((n) => n.port === s.nodeport)?.name ?? String(s.nodeport), s.colocation_id,
      Number(s.shards), (Number(s.bytes) / 1e6).toFixed(1), s.tables]),
  });
  const [recorded] = await query<{ n: string }>(url(coordinator.port), 'SELECT count(*) AS n FROM pg_dist_transaction');
  tables.push({
    title: 'prepared transactions (2PC)', note: `pg_prepared_xacts per node; the coordinator's pg_dist_transaction holds ${recorded!.n} record(s) to recover`,
    columns: ['node', 'open', 'oldest s'], rows: prepared,
  });
  try {
    tables.push(...await pgbouncerTables(stack.pgbouncer_console_url, false));
  } catch (error) {
    tables.push({ title: 'PgBouncer', note: (error as Error).message, columns: [], rows: [] });
  }
  return [`Citus stack ${stack.app_url} at ${new Date().toISOString()}`, ...tables.map(renderTable)].join('\n\n');
}
