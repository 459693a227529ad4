/**
 * `npm run pools [-- --watch SECONDS] [-- --raw]`: PgBouncer's pools and PostgreSQL's connections.
 * `npm run pools -- --ha [--watch SECONDS]`: the HA stack instead (tools/ha/ha-pools.ts): which node
 * is primary, replication state (sync standby, lag), HAProxy's view; reads STACK_HA_DIR/ha-stack.json.
 * `npm run pools -- --citus`: the Citus stack (tools/citus/citus-pools.ts): nodes, shards per node,
 * prepared transactions; reads STACK_CITUS_DIR/citus-stack.json.
 * Finds the local stack through STACK_DIR/stack.json (written by `npm run stack`), or uses
 * PGBOUNCER_CONSOLE_URL (stats or admin user, database "pgbouncer") and POSTGRES_ADMIN_URL
 * (direct to PostgreSQL), e.g. for the Compose stack (see docs/operations.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { endpointsFile, type StackEndpoints, stackSettings } from '../tools/stack/stack-settings.js';
import { pgbouncerTables, postgresTables, renderTable } from '../tools/pgbouncer/pool-report.js';

function endpoints(): { consoleUrl: string; postgresUrl: string | undefined } {
  const consoleUrl = process.env.PGBOUNCER_CONSOLE_URL;
  if (consoleUrl) return { consoleUrl, postgresUrl: process.env.POSTGRES_ADMIN_URL };
  const file = endpointsFile(stackSettings(process.env).stackDir);
  if (!existsSync(file)) {
    console.error(`No running stack found (${file} is missing). Start one with \`npm run stack\`, or set ` +
      'PGBOUNCER_CONSOLE_URL=postgres://pgbouncer_stats:PASSWORD@HOST:6432/pgbouncer (and POSTGRES_ADMIN_URL for pg_stat_activity).');
    process.exit(2);
  }
  const stack = JSON.parse(readFileSync(file, 'utf8')) as StackEndpoints;
  return { consoleUrl: stack.pgbouncerConsoleUrl, postgresUrl: process.env.POSTGRES_ADMIN_URL ?? stack.postgresUrl };
}

async function report(raw: boolean): Promise<string> {
  const { consoleUrl, postgresUrl } = endpoints();
  const tables = await pgbouncerTables(consoleUrl, raw);
  if (postgresUrl) tables.push(...await postgresTables(postgresUrl));
  const where = new URL(consoleUrl);
  return [`PgBouncer ${where.hostname}:${where.port} at ${new Date().toISOString()}`, ...tables.map(renderTable)].join('\n\n');
}

const args = process.argv.slice(2);
const raw = args.includes('--raw');
const watchIndex = args.indexOf('--watch');
const watchSeconds = watchIndex >= 0 ? Number(args[watchIndex + 1] ?? 2) : 0;
// --ha: the HA topology (npm run stack -- --ha) has its own report.
const ha = args.includes('--ha');
// --citus: the Citus stack (npm run stack -- --citus): nodes, shards per node, prepared transactions.
const citus = args.includes('--citus');
const render = ha
  ? await (async () => {
    const { haReport } = await import('../tools/ha/ha-pools.js');
    const { haStackDir } = await import('../tools/ha/ha-stack.js');
    return () => haReport(haStackDir(process.env));
  })()
  : citus
    ? await (async () => {
      const { citusReport } = await import('../tools/citus/citus-pools.js');
      const { citusStackDir } = await import('../tools/citus/citus-stack.js');
      return () => citusReport(citusStackDir(process.env));
    })()
    : () => report(raw);
try {
  if (watchSeconds > 0) {
    for (;;) {
      const text = await render();
      process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
      await new Promise((r) => setTimeout(r, watchSeconds * 1000));
    }
  } else {
    console.log(await render());
  }
} catch (error) {
  console.error(`pools${ha ? ' --ha' : citus ? ' --citus' : ''}: ${(error as Error).message}`);
  process.exit(1);
}
