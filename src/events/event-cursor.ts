/**
 * The feed's opaque cursor: base64url of {"v":1,"t":tenant,"x":feed_txid,"p":position}, the key
 * of the last event served (db/changelog/changes/015-events-outbox.sql explains why following it
 * never skips an event). The tenant inside makes another tenant's cursor a clear 422.
 */
import { decodeOpaqueCursor, encodeOpaqueCursor, invalidCursor } from '../wallets/opaque-cursor.js';

/** xid8 and bigint are below 2^64; 20 digits. */
const numberPattern = /^(0|[1-9]\d{0,19})$/;

export interface FeedPosition {
  txid: string;
  position: string;
}

export function encodeEventCursor(tenant: string, at: FeedPosition): string {
  return encodeOpaqueCursor({ t: tenant, x: at.txid, p: at.position });
}

export function decodeEventCursor(cursor: string, tenant: string): FeedPosition {
  const c = decodeOpaqueCursor(cursor);
  if (typeof c.x !== 'string' || !numberPattern.test(c.x) || typeof c.p !== 'string' || !numberPattern.test(c.p)) {
    throw invalidCursor();
  }
  if (c.t !== tenant) throw invalidCursor('Cursor belongs to another tenant');
  return { txid: c.x, position: c.p };
}
