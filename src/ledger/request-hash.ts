/**
 * The idempotency fingerprints of the engine's requests: the same Idempotency-Key with another
 * fingerprint is a conflict (422). Stored with the ledger row; never change one without a migration.
 */
import { createHash } from 'node:crypto';
import type { OperationType } from './names.js';

/** A deposit's or withdrawal's fingerprint: its type and normalised amount. */
export function operationRequestHash(type: OperationType, amount: string): string {
  return createHash('sha256').update(`${type}\n${amount}`).digest('hex');
}

/** A reversal's hash names its original: the same key for another original is a conflict. */
export function reversalRequestHash(originalId: string): string {
  return createHash('sha256').update(`REVERSAL\n${originalId.toLowerCase()}`).digest('hex');
}

