/**
 * PgBouncer in front of a PostgreSQL we administer: gives the app and auth roles their login,
 * then starts PgBouncer pointing at it. Shared by `npm run stack` and the test suite's
 * TEST_VIA_PGBOUNCER mode, so both run exactly the production auth path (auth_query + SCRAM).
 */
import { PgBouncer, type PgBouncerOptions } from './pgbouncer.js';
import { provisionLoginRoles, roles } from '../roles/roles.js';
import { generatePassword } from '../roles/scram.js';

export interface FrontBouncerSecrets {
  appPassword: string;
  pgbouncerAuthPassword: string;
  adminPassword: string;
  statsPassword: string;
}

export function generateSecrets(): FrontBouncerSecrets {
  return {
    appPassword: generatePassword(),
    pgbouncerAuthPassword: generatePassword(),
    adminPassword: generatePassword(),
    statsPassword: generatePassword(),
  };
}

export interface FrontBouncerOptions extends Pick<PgBouncerOptions, 'settings' | 'detached' | 'onLog' | 'onUnexpectedExit' | 'databaseAlias'> {
  /** Direct URL of a role that may ALTER ROLE (the migrating owner). */
  adminUrl: string;
  listenPort: number;
  runDir: string;
  secrets: FrontBouncerSecrets;
}

export interface FrontBouncer {
  bouncer: PgBouncer;
  /** What the app uses: wallet_app through PgBouncer. */
  appUrl: string;
}

export async function startFrontBouncer(options: FrontBouncerOptions): Promise<FrontBouncer> {
  const admin = new URL(options.adminUrl);
  await provisionLoginRoles(options.adminUrl, {
    appPassword: options.secrets.appPassword,
    pgbouncerAuthPassword: options.secrets.pgbouncerAuthPassword,
  });
  const bouncer = new PgBouncer({
    server: {
      host: admin.hostname,
      port: Number(admin.port || 5432),
      dbname: decodeURIComponent(admin.pathname.replace(/^\//, '')) || 'postgres',
    },
    databaseAlias: options.databaseAlias ?? 'wallet',
    listenPort: options.listenPort,
    runDir: options.runDir,
    authUser: { name: roles.pgbouncerAuth, password: options.secrets.pgbouncerAuthPassword },
    consolePasswords: { admin: options.secrets.adminPassword, stats: options.secrets.statsPassword },
    settings: options.settings,
    detached: options.detached,
    onLog: options.onLog,
    onUnexpectedExit: options.onUnexpectedExit,
  });
  await bouncer.start();
  return { bouncer, appUrl: bouncer.url(roles.app, options.secrets.appPassword) };
}
