/**
 * The envelope of the API's opaque cursors (history pages, the event feed): base64url of a JSON
 * object with a version `v`. Each cursor module names its own fields and checks them; anything
 * that is not such an object is a FastAPI-shaped 422 on `query.cursor`.
 */
import { InvalidInput } from './errors.js';

const CURSOR_VERSION = 1;
const base64UrlPattern = /^[A-Za-z0-9_-]+$/;

export function invalidCursor(msg = 'Invalid cursor'): InvalidInput {
  return new InvalidInput([{ loc: ['query', 'cursor'], msg, type: 'value_error' }]);
}

export function encodeOpaqueCursor(fields: Record<string, string>): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, ...fields })).toString('base64url');
}

/** The cursor's fields (of the current version), unchecked; throws invalidCursor() for anything else. */
export function decodeOpaqueCursor(cursor: string): Record<string, unknown> {
  if (!base64UrlPattern.test(cursor)) throw invalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== CURSOR_VERSION) throw invalidCursor();
  return parsed as Record<string, unknown>;
}
