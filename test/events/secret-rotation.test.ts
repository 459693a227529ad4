/**
 * Rotating WEBHOOK_SECRET_KEY: with the old key as WEBHOOK_SECRET_KEY_PREVIOUS both open; reseal()
 * (npm run webhook-secrets -- reseal) seals every stored secret with the new key, including those
 * stored as is, and leaves the secrets themselves unchanged.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reseal } from '../../scripts/webhook-secrets.js';
import { newWebhookSecret, SecretBox } from '../../src/webhooks/secret-box.js';
import { adminPool } from '../support/test-app.js';

const oldKey = '11'.repeat(32);
const newKey = '22'.repeat(32);
let admin: pg.Pool;
beforeAll(() => {
  admin = adminPool();
});
afterAll(async () => {
  await admin.end();
});

describe('webhook secret key rotation', () => {
  it('opens with either key during the rotation, reseals with the new one, then the old key is not needed', async () => {
    const before = new SecretBox(oldKey);
    const secrets = [newWebhookSecret(), newWebhookSecret()];
    const ids = [crypto.randomUUID(), crypto.randomUUID()];
    const stored = [before.seal(secrets[0]!, ids[0]!), new SecretBox(undefined).seal(secrets[1]!, ids[1]!)];
    for (let i = 0; i < 2; i++) {
      await admin.query(`INSERT INTO webhook_subscriptions (id, tenant, url, event_types, secret, paused_at)
        VALUES ($1, 'default', 'http://127.0.0.1:9/', '{operation.succeeded}', $2, now())`, [ids[i], stored[i]]);
    }
    try {
      const during = new SecretBox(newKey, oldKey);
      expect(during.unseal(stored[0]!, ids[0]!)).toEqual({ secret: secrets[0], current: false });
      expect(() => new SecretBox(newKey).open(stored[0]!, ids[0]!)).toThrow(/does not open/);

      // only these two: the other test files' subscriptions (and their dispatchers' keys) are theirs
      expect(await reseal(admin, during, ids)).toEqual({ resealed: 2, alreadyCurrent: 0, changedMeanwhile: 0, unreadable: [] });
      const after = (await admin.query<{ id: string; secret: string }>('SELECT id, secret FROM webhook_subscriptions WHERE id = ANY ($1::uuid[]) ORDER BY array_position($1::uuid[], id)', [ids])).rows;
      const only = new SecretBox(newKey);
      for (let i = 0; i < 2; i++) {
        expect(after[i]!.secret.startsWith('v1:')).toBe(true);
        expect(only.unseal(after[i]!.secret, ids[i]!)).toEqual({ secret: secrets[i], current: true });
      }
      expect(() => before.open(after[0]!.secret, ids[0]!)).toThrow();
      // a second pass has nothing of these to do
      expect(await reseal(admin, only, ids)).toMatchObject({ resealed: 0, alreadyCurrent: 2 });
      expect((await reseal(admin, new SecretBox(oldKey), ids)).unreadable).toEqual([...ids].sort());
      expect((await admin.query('SELECT secret FROM webhook_subscriptions WHERE id = ANY ($1::uuid[]) ORDER BY array_position($1::uuid[], id)', [ids])).rows
        .map((r: { secret: string }) => r.secret)).toEqual(after.map((r) => r.secret));
    } finally {
      await admin.query('DELETE FROM webhook_subscriptions WHERE id = ANY ($1::uuid[])', [ids]);
    }
  });
});
