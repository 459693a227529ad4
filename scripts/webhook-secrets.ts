/**
 * npm run webhook-secrets -- reseal [--json]: seals every stored webhook signing secret with the
 * current WEBHOOK_SECRET_KEY, as the schema owner (MIGRATION_DATABASE_URL, or DATABASE_URL, or the
 * embedded PostgreSQL under .data/). Rotating the key:
 *
 *   1. set WEBHOOK_SECRET_KEY to the new key and WEBHOOK_SECRET_KEY_PREVIOUS to the old one, restart
 *      the app (it opens secrets sealed with either);
 *   2. npm run webhook-secrets -- reseal (the same two variables);
 *   3. unset WEBHOOK_SECRET_KEY_PREVIOUS and restart.
 *
 * Also seals secrets stored as is ('plain:') once a key is set. Each row is replaced only if it
 * still holds what was read (a subscription deleted or changed meanwhile is left alone). The
 * secrets themselves do not change: receivers need nothing.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { SecretBox } from '../src/webhooks/secret-box.js';
import { ownerPool, scriptConfig } from './owner-database.js';

const usage = `usage: npm run webhook-secrets -- reseal [--json]
Seals every webhook signing secret with WEBHOOK_SECRET_KEY (WEBHOOK_SECRET_KEY_PREVIOUS opens the old ones).
Database: MIGRATION_DATABASE_URL or DATABASE_URL (schema owner), else .data/.`;

export interface ResealResult {
  resealed: number;
  alreadyCurrent: number;
  changedMeanwhile: number;
  /** Subscriptions whose secret opens with neither key: left alone, and the exit status is 1. */
  unreadable: string[];
}

/** Reseals every subscription's secret, or only those of `ids`. */
export async function reseal(pool: pg.Pool, box: SecretBox, ids?: string[]): Promise<ResealResult> {
  const result: ResealResult = { resealed: 0, alreadyCurrent: 0, changedMeanwhile: 0, unreadable: [] };
  const rows = (await pool.query<{ id: string; secret: string }>(
    'SELECT id, secret FROM webhook_subscriptions WHERE $1::uuid[] IS NULL OR id = ANY ($1::uuid[]) ORDER BY id', [ids ?? null])).rows;
  for (const row of rows) {
    let opened;
    try {
      opened = box.unseal(row.secret, row.id);
    } catch {
      result.unreadable.push(row.id);
      continue;
    }
    const { secret, current } = opened;
    if (current) {
      result.alreadyCurrent++;
      continue;
    }
    const updated = await pool.query('UPDATE webhook_subscriptions SET secret = $1 WHERE id = $2 AND secret = $3',
      [box.seal(secret, row.id), row.id, row.secret]);
    if (updated.rowCount === 1) result.resealed++;
    else result.changedMeanwhile++;
  }
  return result;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: {
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help || positionals.length !== 1 || positionals[0] !== 'reseal') {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const config = scriptConfig();
  if (!config) return 2;
  if (config.webhooks.secretKeyHex === undefined) {
    console.error('[webhook-secrets] WEBHOOK_SECRET_KEY is not set: there is no key to seal with');
    return 2;
  }
  const box = new SecretBox(config.webhooks.secretKeyHex, config.webhooks.previousSecretKeyHex);
  const { pool, close } = await ownerPool(config, 1);
  try {
    const result = await reseal(pool, box);
    console.log(values.json ? JSON.stringify(result) : `resealed ${result.resealed}, already sealed with the current key ` +
      `${result.alreadyCurrent}, changed meanwhile (left alone) ${result.changedMeanwhile}` +
      (result.unreadable.length ? `; ${result.unreadable.length} open with neither key (left alone): ${result.unreadable.join(', ')}` : ''));
    return result.unreadable.length > 0 ? 1 : 0;
  } catch (error) {
    console.error(`[webhook-secrets] ${(error as Error).message}`);
    return 1;
  } finally {
    await close();
  }
}

// Run as a script (npm run webhook-secrets), not when a test imports reseal().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
