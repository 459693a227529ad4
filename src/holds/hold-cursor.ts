/**
 * The holds list's opaque cursor: base64url of {"v":1,"w":wallet,"t":created_at in epoch
 * microseconds,"i":hold id}, the keyset position of the last hold served (newest first). The
 * wallet id inside makes a cursor from another wallet a clear 422 instead of a wrong page.
 */
import { decodeOpaqueCursor, encodeOpaqueCursor, invalidCursor } from '../ledger/opaque-cursor.js';

const microsPattern = /^-?\d{1,19}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HoldsPosition {
  createdUs: string;
  id: string;
}

export function encodeHoldsCursor(walletId: string, at: HoldsPosition): string {
  return encodeOpaqueCursor({ w: walletId, t: at.createdUs, i: at.id });
}

export function decodeHoldsCursor(cursor: string, walletId: string): HoldsPosition {
  const c = decodeOpaqueCursor(cursor);
  if (typeof c.t !== 'string' || !microsPattern.test(c.t) || typeof c.i !== 'string' || !uuidPattern.test(c.i)) throw invalidCursor();
  if (c.w !== walletId) throw invalidCursor('Cursor belongs to another wallet');
  return { createdUs: c.t, id: c.i };
}
