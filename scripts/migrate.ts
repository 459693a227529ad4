/**
 * npm run migrate: applies the Liquibase changelog to MIGRATION_DATABASE_URL (or DATABASE_URL),
 * or, with neither set, to the embedded PostgreSQL: the one a running `npm start` uses (left
 * running), or started for the purpose and stopped after.
 */
import { loadConfig } from '../src/config/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { migrate } from '../src/db/migrations.js';

const say = (message: string) => console.log(`[migrate] ${message}`);

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.migrationDatabaseUrl) {
    await migrate(config.migrationDatabaseUrl, { log: say });
    return;
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.embeddedDataDir, port: config.embeddedPort, log: say });
  try {
    await migrate(embedded.url, { forceUnlock: embedded.startedHere, log: say });
  } finally {
    await embedded.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`[migrate] ${(error as Error)?.message ?? String(error)}`);
  process.exit(1);
});
