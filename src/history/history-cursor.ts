/**
 * The opaque page cursor: base64url of {"v":1,"w":wallet,"s":seq}. `s` is the seq of the last
 * item served; the next page holds the items with a smaller seq (keyset on UNIQUE (wallet_id,
 * seq)), so operations that arrive meanwhile, which always get a larger seq, never shift a page.
 * The wallet id inside makes a cursor from another wallet a clear 422 instead of a wrong page.
 */
import { InvalidInput } from '../wallets/wallet-errors.js';

const CURSOR_VERSION = 1;
/** seq is a positive bigint; 18 digits stay below 2^63. */
const seqPattern = /^[1-9]\d{0,17}$/;
const base64UrlPattern = /^[A-Za-z0-9_-]+$/;

export function encodeCursor(walletId: string, seq: string): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, w: walletId, s: seq })).toString('base64url');
}

function invalid(msg: string): InvalidInput {
  return new InvalidInput([{ loc: ['query', 'cursor'], msg, type: 'value_error' }]);
}

/** The seq after which the page starts; throws a FastAPI-shaped 422 for anything else. */
export function decodeCursor(cursor: string, walletId: string): string {
  if (!base64UrlPattern.test(cursor)) throw invalid('Invalid cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('Invalid cursor');
  }
  const c = parsed as { v?: unknown; w?: unknown; s?: unknown } | null;
  if (typeof c !== 'object' || c === null || c.v !== CURSOR_VERSION || typeof c.s !== 'string' || !seqPattern.test(c.s)) {
    throw invalid('Invalid cursor');
  }
  if (c.w !== walletId) throw invalid('Cursor belongs to another wallet');
  return c.s;
}
