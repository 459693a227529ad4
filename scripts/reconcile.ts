/**
 * npm run reconcile: checks every wallet against its ledger (see src/reconcile/reconcile.ts).
 * Database: DATABASE_URL, else the embedded PostgreSQL of `npm start` (started for the check
 * and stopped again if it is not already running). Read-only.
 * Exit status: 0 all consistent, 1 mismatches found (all listed), 2 the check could not run.
 * Options: --json (machine-readable report), --wallet <uuid> (repeatable: only these wallets).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { formatReport, reconcile } from '../src/reconcile/reconcile.js';

interface Target {
  url: string;
  stop(): Promise<void>;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** DATABASE_URL, or the embedded cluster: reused when `npm start` is running, started otherwise. */
async function target(): Promise<Target> {
  const config = loadConfig();
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => {} };
  const credentials = join(dirname(resolve(config.embeddedDataDir)), 'credentials.json');
  if (existsSync(credentials)) {
    const { user, password } = JSON.parse(readFileSync(credentials, 'utf8')) as { user: string; password: string };
    const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${config.embeddedPort}/postgres`;
    if (await canConnect(url)) return { url, stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.embeddedDataDir, port: config.embeddedPort });
  return embedded;
}

function parseArgs(argv: string[]): { json: boolean; walletIds: string[] | undefined } {
  const walletIds: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') json = true;
    else if (argv[i] === '--wallet' && argv[i + 1]) walletIds.push(argv[++i]!);
    else throw new Error(`unknown argument ${argv[i]} (use --json, --wallet <uuid>)`);
  }
  return { json, walletIds: walletIds.length > 0 ? walletIds : undefined };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const db = await target();
  const pool = new pg.Pool({ connectionString: db.url, max: 2, application_name: 'wallet-reconcile' });
  try {
    const report = await reconcile(pool, { walletIds: args.walletIds });
    console.log(args.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.mismatches.length === 0 ? 0 : 1;
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(`reconcile failed: ${(error as Error)?.message ?? String(error)}`);
  process.exit(2);
});
