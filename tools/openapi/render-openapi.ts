/**
 * The OpenAPI document the app serves at /openapi.json, rendered without a database: the app is
 * built with the default settings (access control on) and a pool that never connects (no route
 * runs). `npm run openapi` writes it to docs/openapi.json, the TypeScript client
 * (clients/typescript/) generates its types from that file, and a test fails when the committed
 * file differs from what the app serves.
 */
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLedgerDatabase } from '../../src/ledger/tables.js';

export const OPENAPI_PATH = 'docs/openapi.json';

export async function renderOpenApi(): Promise<string> {
  const base = loadConfig({});
  const config = { ...base, auth: { ...base.auth, required: true }, webhooks: { ...base.webhooks, dispatcherEnabled: false } };
  // pg.Pool connects on the first query only, and building the app runs none.
  const db = createLedgerDatabase({
    url: 'postgres://unused@127.0.0.1:9/unused', poolSizeMax: 1, connectTimeoutMs: 1000, idleTimeoutMs: 1000, queryTimeoutMs: 1000,
  });
  const app = await buildApp({ config, db, logger: false });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await db.close();
  }
}
