/**
 * The feed's opaque cursor: base64url of {"v":1,"t":tenant,"x":feed_txid,"p":position,"s":seq}, the
 * key of the last event served (db/changelog/changes/015-events-outbox.sql explains why following it
 * never skips an event; 017 adds seq, an event's place inside its outbox row). A cursor without "s"
 * (written before 017) stands after the whole row. The tenant inside makes another tenant's cursor a
 * clear 422.
 */
import { decodeOpaqueCursor, encodeOpaqueCursor, invalidCursor } from '../ledger/opaque-cursor.js';

/** xid8 and bigint are below 2^64; 20 digits. */
const numberPattern = /^(0|[1-9]\d{0,19})$/;
/** After every seq of a row. */
const ROW_END = '9223372036854775807';

export interface FeedKey {
  txid: string;
  position: string;
  /** The ledger seq inside a range row; 0 for a row that holds one stored event. */
  seq: string;
}

export function encodeEventCursor(tenant: string, at: FeedKey): string {
  return encodeOpaqueCursor({ t: tenant, x: at.txid, p: at.position, s: at.seq });
}

export function decodeEventCursor(cursor: string, tenant: string): FeedKey {
  const c = decodeOpaqueCursor(cursor);
  const seq = c.s ?? ROW_END;
  if (typeof c.x !== 'string' || !numberPattern.test(c.x) || typeof c.p !== 'string' || !numberPattern.test(c.p)
    || typeof seq !== 'string' || !numberPattern.test(seq)) {
    throw invalidCursor();
  }
  if (c.t !== tenant) throw invalidCursor('Cursor belongs to another tenant');
  return { txid: c.x, position: c.p, seq };
}
