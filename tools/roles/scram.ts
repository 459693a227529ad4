/**
 * SCRAM-SHA-256 secrets (RFC 5802/7677) in PostgreSQL's format, computed here so a password is
 * never sent to PostgreSQL or written to PgBouncer's auth_file in plaintext when we can avoid it.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const iterations = 4096; // PostgreSQL's default scram_iterations

/** True when SASLprep leaves the password unchanged, so hashing its bytes matches the server. */
export function isScramSafe(password: string): boolean {
  return /^[\x20-\x7e]+$/.test(password);
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as in pg_authid.rolpassword. */
export function scramSecret(password: string, salt: Buffer = randomBytes(16)): string {
  if (!isScramSafe(password)) throw new Error('scramSecret: only printable ASCII passwords are hashed locally');
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** A random password that needs no quoting anywhere (URL, ini, SQL literal). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
