/**
 * The one launcher of the database side of the stack: PostgreSQL (embedded, or given by URL) →
 * Liquibase (directly, never through PgBouncer) → PgBouncer (optional; the committed
 * pgbouncer.ini, transaction mode, wallet_app through auth_query). `npm run stack`, the test
 * suite's global set-up, the bench target and the fault suite all start it here; the app on top
 * is tools/stack/app-process.ts.
 */
import { join } from 'node:path';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate } from '../../src/db/migrations.js';
import {
  type FrontBouncer, type FrontBouncerOptions, type FrontBouncerSecrets, generateSecrets, startFrontBouncer,
} from '../pgbouncer/front-bouncer.js';

export interface LaunchOptions {
  /** PostgreSQL: a URL of a role that may migrate and ALTER ROLE, or the embedded cluster. */
  postgres: { url: string } | { dataDir: string; port: number; settings?: Record<string, string> };
  /** Apply the changelog (default true). */
  migrate?: boolean;
  /** PgBouncer in front (omit for none). */
  pgbouncer?: {
    port: number;
    /** Holds its generated ini and auth_file. */
    runDir: string;
    secrets?: FrontBouncerSecrets;
  } & Pick<FrontBouncerOptions, 'settings' | 'detached' | 'onLog' | 'onUnexpectedExit'>;
  log?: (message: string) => void;
}

export interface LaunchedDatabase {
  /** The embedded server, when we use one. */
  postgres: EmbeddedPostgres | undefined;
  /** Direct to PostgreSQL as the migrating owner (checks, fault injection, pgbench). */
  adminUrl: string;
  front: FrontBouncer | undefined;
  /** What the app uses: wallet_app through PgBouncer, or adminUrl without one. */
  appUrl: string;
  /** PgBouncer, then PostgreSQL (each only if started here). */
  stop(): Promise<void>;
}

export async function launchDatabase(options: LaunchOptions): Promise<LaunchedDatabase> {
  const log = options.log ?? (() => {});
  let postgres: EmbeddedPostgres | undefined;
  let front: FrontBouncer | undefined;
  const stop = async () => {
    await front?.bouncer.stop();
    await postgres?.stop();
  };
  try {
    let adminUrl: string;
    if ('url' in options.postgres) {
      adminUrl = options.postgres.url;
      const u = new URL(adminUrl);
      log(`PostgreSQL: ${u.hostname}:${u.port || 5432}/${u.pathname.slice(1)} (DATABASE_URL)`);
    } else {
      postgres = await startEmbeddedPostgres({ ...options.postgres, log: (m) => log(`PostgreSQL: ${m}`) });
      adminUrl = postgres.url;
    }
    if (options.migrate ?? true) {
      // A changelog lock can be stale only on a server this process started.
      await migrate(adminUrl, { forceUnlock: postgres?.startedHere ?? false, log: (m) => log(`migrations: ${m}`) });
    }
    if (options.pgbouncer) {
      const { port, runDir, secrets, ...rest } = options.pgbouncer;
      front = await startFrontBouncer({ adminUrl, listenPort: port, runDir, secrets: secrets ?? generateSecrets(), ...rest });
    }
    return { postgres, adminUrl, front, appUrl: front?.appUrl ?? adminUrl, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** PgBouncer's run directory inside a stack's home. */
export const pgbouncerRunDir = (home: string) => join(home, 'pgbouncer');
