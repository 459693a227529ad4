/**
 * Webhook signing secrets: made here (Standard Webhooks form, whsec_ + base64 of 32 random bytes),
 * shown once on creation, kept so the dispatcher can sign. Unlike API keys they cannot be stored as
 * a hash: HMAC needs the secret itself. With WEBHOOK_SECRET_KEY they are sealed with AES-256-GCM
 * (a random 12-byte IV each, the subscription id as associated data, so a sealed secret copied to
 * another row does not open), and a dump of the database alone does not reveal them; without it
 * they are stored as is ('plain:'), and the app warns at start-up. Rotation: WEBHOOK_SECRET_KEY
 * the new key and WEBHOOK_SECRET_KEY_PREVIOUS the old one (both open), then `npm run
 * webhook-secrets -- reseal` seals every stored secret with the new key; then drop the old one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { assert } from '../lib/assert.js';

const SECRET_BYTES = 32;
const IV_BYTES = 12;

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

export class SecretBox {
  private readonly key: Buffer | null;
  private readonly previousKey: Buffer | null;
  constructor(keyHex: string | undefined, previousKeyHex?: string) {
    this.key = keyHex === undefined ? null : Buffer.from(keyHex, 'hex');
    this.previousKey = previousKeyHex === undefined ? null : Buffer.from(previousKeyHex, 'hex');
    assert(this.key === null || this.key.length === 32, 'WEBHOOK_SECRET_KEY must be 32 bytes');
    assert(this.previousKey === null || this.previousKey.length === 32, 'WEBHOOK_SECRET_KEY_PREVIOUS must be 32 bytes');
  }

  get encrypts(): boolean {
    return this.key !== null;
  }

  seal(secret: string, subscriptionId: string): string {
    if (!this.key) return `plain:${secret}`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(subscriptionId));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${sealed.toString('base64')}`;
  }

  open(stored: string, subscriptionId: string): string {
    return this.unseal(stored, subscriptionId).secret;
  }

  /** The secret, and whether it is stored as this box seals now (else `npm run webhook-secrets -- reseal` changes it). */
  unseal(stored: string, subscriptionId: string): { secret: string; current: boolean } {
    if (stored.startsWith('plain:')) return { secret: stored.slice('plain:'.length), current: this.key === null };
    const [version, iv, tag, sealed] = stored.split(':');
    if (version !== 'v1' || !iv || !tag || !sealed) throw new Error('unknown sealed-secret format');
    if (!this.key && !this.previousKey) throw new Error('a sealed webhook secret needs WEBHOOK_SECRET_KEY');
    for (const [key, current] of [[this.key, true], [this.previousKey, false]] as const) {
      if (!key) continue;
      try {
        return { secret: openWith(key, iv, tag, sealed, subscriptionId), current };
      } catch { /* not this key: try the next */ }
    }
    throw new Error('the webhook secret does not open with WEBHOOK_SECRET_KEY (or WEBHOOK_SECRET_KEY_PREVIOUS)');
  }
}

function openWith(key: Buffer, iv: string, tag: string, sealed: string, subscriptionId: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(subscriptionId));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
}
