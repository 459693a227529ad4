/**
 * The first start on a fresh database (no key at all yet) creates tenant `default` and a key with
 * every scope, `operator` included (tenant `default` becomes the operator tenant), prints it once and saves it, mode 0600, to API_KEY_FILE (default .data/api-key), so
 * the README's curl examples can read it: `-H "Authorization: Bearer $(cat .data/api-key)"`.
 * Later starts create nothing; they only say where the key was saved, if the file is still there.
 * Needs the schema owner's URL (the app role cannot create keys): `npm start` on the embedded
 * PostgreSQL and `npm run stack` call it; a deployment on DATABASE_URL uses `npm run keys -- create`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { createKey } from './key-store.js';
import { SCOPES } from './scopes.js';

export const FIRST_RUN_ACTOR = 'npm start (first run)';

export async function ensureFirstRunKey(ownerUrl: string, keyFile: string, say: (message: string) => void): Promise<void> {
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ any_key: boolean }>('SELECT EXISTS (SELECT 1 FROM api_keys) AS any_key');
    if (rows[0]?.any_key) {
      if (existsSync(keyFile)) say(`API key (all scopes, tenant default): in ${keyFile}`);
      return;
    }
    const created = await createKey(pool, { tenant: 'default', scopes: [...SCOPES], actor: FIRST_RUN_ACTOR,
      description: 'created by the first npm start', designateOperator: true });
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, `${created.key}\n`, { mode: 0o600, flag: 'w' });
    say('first run: created tenant "default" (the operator tenant) and an API key with the scopes ' +
      `${SCOPES.join(', ')} (shown once, saved with mode 0600 to ${keyFile}):`);
    say(`    ${created.key}`);
    say(`    curl -H "Authorization: Bearer $(cat ${keyFile})" ...   (more keys: npm run keys -- create --help)`);
  } finally {
    await pool.end();
  }
}
