/**
 * The feed's opaque cursor: base64url of {"v":1,"t":tenant,"x":feed_txid,"p":position}, the key
 * of the last event served (db/changelog/changes/015-events-outbox.sql explains why following it
 * never skips an event). The tenant inside makes another tenant's cursor a clear 422.
 */
import { InvalidInput } from '../wallets/wallet-errors.js';

const CURSOR_VERSION = 1;
/** xid8 and bigint are below 2^64; 20 digits. */
const numberPattern = /^(0|[1-9]\d{0,19})$/;
const base64UrlPattern = /^[A-Za-z0-9_-]+$/;

export interface FeedPosition {
  txid: string;
  position: string;
}

export function encodeEventCursor(tenant: string, at: FeedPosition): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, t: tenant, x: at.txid, p: at.position })).toString('base64url');
}

function invalid(msg: string): InvalidInput {
  return new InvalidInput([{ loc: ['query', 'cursor'], msg, type: 'value_error' }]);
}

export function decodeEventCursor(cursor: string, tenant: string): FeedPosition {
  if (!base64UrlPattern.test(cursor)) throw invalid('Invalid cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('Invalid cursor');
  }
  const c = parsed as { v?: unknown; t?: unknown; x?: unknown; p?: unknown } | null;
  if (typeof c !== 'object' || c === null || c.v !== CURSOR_VERSION || typeof c.x !== 'string' || !numberPattern.test(c.x)
    || typeof c.p !== 'string' || !numberPattern.test(c.p)) {
    throw invalid('Invalid cursor');
  }
  if (c.t !== tenant) throw invalid('Cursor belongs to another tenant');
  return { txid: c.x, position: c.p };
}
