/**
 * The wallet list's opaque cursor: base64url of {"v":1,"t":created_at in epoch microseconds,
 * "i":wallet id}, the keyset position of the last wallet served (newest first). Wallets made
 * meanwhile sort before the first page, so they never shift a page.
 */
import { decodeOpaqueCursor, encodeOpaqueCursor, invalidCursor } from '../ledger/opaque-cursor.js';

const microsPattern = /^-?\d{1,19}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WalletsPosition {
  createdUs: string;
  id: string;
}

export function encodeWalletsCursor(at: WalletsPosition): string {
  return encodeOpaqueCursor({ t: at.createdUs, i: at.id });
}

export function decodeWalletsCursor(cursor: string): WalletsPosition {
  const c = decodeOpaqueCursor(cursor);
  if (typeof c.t !== 'string' || !microsPattern.test(c.t) || typeof c.i !== 'string' || !uuidPattern.test(c.i)) throw invalidCursor();
  return { createdUs: c.t, id: c.i };
}
