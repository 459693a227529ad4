/**
 * What the operator scripts (npm run keys, npm run webhook-secrets) share: the configuration, with
 * a ConfigError printed rather than thrown, and a pool as the schema owner (MIGRATION_DATABASE_URL,
 * or DATABASE_URL, or the embedded PostgreSQL under .data/, started for the purpose if `npm start`
 * is not running).
 */
import pg from 'pg';
import { type Config, ConfigError, loadConfig } from '../src/config/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';

/** The configuration, or undefined after printing what is wrong with it. */
export function scriptConfig(): Config | undefined {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return undefined;
    }
    throw error;
  }
}

export async function ownerPool(config: Config, max: number): Promise<{ pool: pg.Pool; close(): Promise<void> }> {
  const embedded = config.migrationDatabaseUrl ? undefined
    : await startEmbeddedPostgres({ dataDir: config.embeddedDataDir, port: config.embeddedPort, log: () => {} });
  const pool = new pg.Pool({ connectionString: config.migrationDatabaseUrl ?? embedded!.url, max });
  return {
    pool,
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
