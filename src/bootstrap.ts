/**
 * Where the database comes from: DATABASE_URL if set, otherwise the embedded PostgreSQL under
 * ./.data (started, or joined when another live process runs it). Either way the Liquibase
 * changelog is applied first (MIGRATE_ON_START).
 */
import type { Config } from './config/config.js';
import { ensureFirstRunKey } from './auth/first-run-key.js';
import { startEmbeddedPostgres } from './db/embedded-postgres.js';
import { migrate } from './db/migrations.js';

export interface PreparedDatabase {
  /** URL the app's pool uses (may be PgBouncer). */
  url: string;
  embedded: boolean;
  /** Leaves the embedded PostgreSQL (stopping it when no other live process uses it). */
  stop(): Promise<void>;
}

export async function prepareDatabase(config: Config, log: (message: string) => void): Promise<PreparedDatabase> {
  if (config.databaseUrl) {
    if (config.migrateOnStart && config.migrationDatabaseUrl) {
      await migrate(config.migrationDatabaseUrl, { log });
    }
    return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.embeddedDataDir, port: config.embeddedPort, log });
  try {
    // A changelog lock can be stale only on a server we started (a joined one may be migrating).
    if (config.migrateOnStart) await migrate(embedded.url, { forceUnlock: embedded.startedHere, log });
    if (config.auth.required) await ensureFirstRunKey(embedded.url, config.auth.firstRunKeyFile, log);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return { url: embedded.url, embedded: true, stop: () => embedded.stop() };
}
