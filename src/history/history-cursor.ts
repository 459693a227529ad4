/**
 * The opaque page cursor: base64url of {"v":1,"w":wallet,"s":seq}. `s` is the seq of the last
 * item served; the next page holds the items with a smaller seq (keyset on UNIQUE (wallet_id,
 * seq)), so operations that arrive meanwhile, which always get a larger seq, never shift a page.
 * The wallet id inside makes a cursor from another wallet a clear 422 instead of a wrong page.
 */
import { decodeOpaqueCursor, encodeOpaqueCursor, invalidCursor } from '../ledger/opaque-cursor.js';

/** seq is a positive bigint; 18 digits stay below 2^63. */
const seqPattern = /^[1-9]\d{0,17}$/;

export function encodeCursor(walletId: string, seq: string): string {
  return encodeOpaqueCursor({ w: walletId, s: seq });
}

/** The seq after which the page starts; throws a FastAPI-shaped 422 for anything else. */
export function decodeCursor(cursor: string, walletId: string): string {
  const c = decodeOpaqueCursor(cursor);
  if (typeof c.s !== 'string' || !seqPattern.test(c.s)) throw invalidCursor();
  if (c.w !== walletId) throw invalidCursor('Cursor belongs to another wallet');
  return c.s;
}
