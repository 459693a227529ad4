/**
 * The key text: `wsk_<key id>_<secret>`.
 * - `wsk_` is a fixed prefix so secret scanners (GitHub's, gitleaks) can recognise a leaked key.
 * - the key id (16 hex digits, 64 random bits) is not secret: it names the key in logs, in
 *   `npm run keys -- list` and in the ledger's `actor`, and is how the key is looked up.
 * - the secret is 32 random bytes, base64url (43 characters, 256 bits). Only its SHA-256 is stored.
 *   A slow password hash (bcrypt, scrypt, argon2) protects low-entropy passwords against guessing;
 *   256 random bits cannot be guessed, so SHA-256's preimage resistance is the whole defence and a
 *   slow hash would only add milliseconds of CPU to every request.
 * Digests are compared with crypto.timingSafeEqual (src/auth/authenticator.ts).
 */
import { createHash, hash, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'wsk_';
const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
const KEY_PATTERN = /^wsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const SECRET_BYTES = 32;

export interface ParsedKey {
  keyId: string;
  secret: string;
}

export interface NewKey extends ParsedKey {
  /** The whole key text, shown once. */
  key: string;
  secretSha256: string;
}

export function isKeyId(value: string): boolean {
  return KEY_ID_PATTERN.test(value);
}

/** The key's parts, or undefined for anything that is not exactly a key (never looked up). */
export function parseKey(text: string): ParsedKey | undefined {
  const match = KEY_PATTERN.exec(text);
  return match ? { keyId: match[1]!, secret: match[2]! } : undefined;
}

/** The value of an `Authorization: Bearer <key>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? match[1] : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The same digest as bytes (what the request path compares, without hex round trips). */
export function secretDigest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer'); // one-shot: half the cost of createHash().update().digest()
}

export function generateKey(): NewKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { key: `${KEY_PREFIX}${keyId}_${secret}`, keyId, secret, secretSha256: hashSecret(secret) };
}
