/** Secrets at rest on by default: the key `npm start` makes on its first run (issue 25, item 7). */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureLocalSecretKey } from '../../src/webhooks/local-secret-key.js';
import { SecretBox } from '../../src/webhooks/secret-box.js';

const home = mkdtempSync(join(tmpdir(), 'webhook-key-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('the local webhook secret key', () => {
  it('is made once, mode 0600 in a 0700 directory, and read back on later starts', () => {
    const file = join(home, 'data', 'webhook-secret-key');
    const said: string[] = [];
    const key = ensureLocalSecretKey(file, (m) => said.push(m));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'data')).mode & 0o777).toBe(0o700);
    expect(said[0]).toMatch(/^first run: created a webhook secret key/);
    expect(ensureLocalSecretKey(file, () => undefined)).toBe(key);
    expect(readFileSync(file, 'utf8')).toBe(`${key}\n`);
    // It seals: what is stored is not the secret.
    const sealed = new SecretBox(key).seal('whsec_c2VjcmV0', 'sub-1');
    expect(sealed).toMatch(/^v1:/);
    expect(new SecretBox(key).open(sealed, 'sub-1')).toBe('whsec_c2VjcmV0');
  });

  it('refuses a file that does not hold a key, instead of replacing it', () => {
    const file = join(home, 'broken');
    writeFileSync(file, 'not a key\n');
    expect(() => ensureLocalSecretKey(file, () => undefined)).toThrow(/does not hold a webhook secret key/);
    expect(readFileSync(file, 'utf8')).toBe('not a key\n');
  });
});
