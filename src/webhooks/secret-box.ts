/**
 * Webhook signing secrets: made here (Standard Webhooks form, whsec_ + base64 of 32 random bytes),
 * shown once on creation, kept so the dispatcher can sign. Unlike API keys they cannot be stored as
 * a hash: HMAC needs the secret itself. With WEBHOOK_SECRET_KEY they are sealed with AES-256-GCM
 * (a random 12-byte IV each, the subscription id as associated data, so a sealed secret copied to
 * another row does not open), and a dump of the database alone does not reveal them; without it
 * they are stored as is ('plain:'), and the app warns at start-up.
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
  constructor(keyHex: string | undefined) {
    this.key = keyHex === undefined ? null : Buffer.from(keyHex, 'hex');
    assert(this.key === null || this.key.length === 32, 'WEBHOOK_SECRET_KEY must be 32 bytes');
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
    if (stored.startsWith('plain:')) return stored.slice('plain:'.length);
    const [version, iv, tag, sealed] = stored.split(':');
    if (version !== 'v1' || !iv || !tag || !sealed) throw new Error('unknown sealed-secret format');
    if (!this.key) throw new Error('a sealed webhook secret needs WEBHOOK_SECRET_KEY');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(subscriptionId));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
  }
}
