/**
 * Secrets at rest on by default: when WEBHOOK_SECRET_KEY is not set, `npm start` (the embedded
 * PostgreSQL, one process on one machine) makes one on its first run and keeps it beside the
 * cluster, mode 0600, like the first-run API key; later runs read it back. A deployment on
 * DATABASE_URL sets the key itself: every process must hold the same one, so a key made by one
 * process alone would not do (Compose refuses to start without it).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const keyPattern = /^[0-9a-f]{64}$/i;

/** The key in `file` (64 hex digits), made and saved there with mode 0600 if the file does not exist. */
export function ensureLocalSecretKey(file: string, say: (message: string) => void): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = randomBytes(32).toString('hex');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key another start saved meanwhile; secrets sealed with it would not open.
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    say(`first run: created a webhook secret key (saved with mode 0600 to ${file}); webhook signing secrets are sealed with it`);
    return key;
  }
  if (!keyPattern.test(text)) throw new Error(`${file} does not hold a webhook secret key (64 hex digits)`);
  say(`webhook signing secrets sealed with the key in ${file}`);
  return text;
}
