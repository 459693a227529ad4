/**
 * The idempotency fingerprints of every money-movement request, in one place: the same
 * Idempotency-Key with another fingerprint is a conflict (422). Each is stored with its ledger row
 * or hold, so changing one makes every stored key a conflict: never change one in place.
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

/** Keys are scoped to the source wallet and shared with its deposits and withdrawals: the type is part of the hash. */
export function transferRequestHash(toWalletId: string, amount: string): string {
  return createHash('sha256').update(`TRANSFER_OUT\n${toWalletId.toLowerCase()}\n${amount}`).digest('hex');
}

/** Keys of new holds are scoped to the wallet's holds; the hash covers the body as sent. */
export function holdRequestHash(amount: string, expiresInSeconds: number | undefined): string {
  return createHash('sha256').update(`HOLD\n${amount}\n${expiresInSeconds ?? ''}`).digest('hex');
}

/** Capture/void keys are scoped to the hold; the type is hashed, so a capture's key reused for a void is a conflict. */
export function closeRequestHash(type: 'CAPTURE' | 'VOID', holdId: string, amount: string | null): string {
  return createHash('sha256').update(`${type}\n${holdId.toLowerCase()}\n${amount ?? ''}`).digest('hex');
}
