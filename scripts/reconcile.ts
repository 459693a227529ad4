/**
 * npm run reconcile: checks every wallet against its ledger (see src/reconcile/reconcile.ts).
 * Database: DATABASE_URL, else the embedded PostgreSQL of `npm start` (started for the check
 * and stopped again if it is not already running). Read-only.
 * Exit status: 0 all consistent, 1 mismatches found (all listed), 2 the check could not run.
 * Options: --json (machine-readable report), --wallet <uuid> (repeatable: only these wallets).
 */
import pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { formatReport, reconcile } from '../src/reconcile/reconcile.js';

interface Target {
  url: string;
  stop(): Promise<void>;
}

/** DATABASE_URL, or the embedded cluster: joined when `npm start` runs it, started (and stopped) otherwise. */
async function target(): Promise<Target> {
  const config = loadConfig();
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => {} };
  return startEmbeddedPostgres({ dataDir: config.embeddedDataDir, port: config.embeddedPort });
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
