/**
 * The batch script's hand-built quoting against the real PostgreSQL: every hostile string, quoted
 * as applyCommandsScript quotes it, comes back from `SELECT` exactly as it went in, whether
 * standard_conforming_strings is on or off. The literal is cut out of a real script (the only
 * thing that differs between a script with the hostile key and one with a plain key), so what is
 * proven is what the engine sends.
 */
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCommandsScript, type Command } from '../../src/ledger/apply-script.js';
import { hostileIdempotencyKey } from '../hostile/hostile-input.js';
import { adminPool } from '../support/test-app.js';

/** Half of a UTF-16 pair without its other half: not text, Node sends it as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const limits = { lockTimeoutMs: 5000, statementTimeoutMs: 3000 };
const command = (over: Partial<Command>): Command => ({
  id: '00000000-0000-4000-8000-000000000001', walletId: '00000000-0000-4000-8000-000000000002', tenant: 'default', actor: null,
  type: 'DEPOSIT', amount: '10.00', idempotencyKey: null, requestHash: null, ...over,
});

/** The literal the script writes for `value` as the command's Idempotency-Key (and, checked too, as its actor). */
function literalOf(value: string): string {
  const [before, after] = applyCommandsScript([command({ idempotencyKey: 'x' })], false, limits).split("ARRAY['x']::text[]");
  const script = applyCommandsScript([command({ idempotencyKey: value })], false, limits);
  expect(script.startsWith(before!) && script.endsWith(after!)).toBe(true);
  const array = script.slice(before!.length, script.length - after!.length);
  expect(array.startsWith('ARRAY[') && array.endsWith(']::text[]')).toBe(true);
  const literal = array.slice('ARRAY['.length, -']::text[]'.length);
  expect(applyCommandsScript([command({ actor: value })], false, limits)).toContain(`ARRAY[${literal}]::text[]`);
  return literal;
}

const explicit: string[] = [
  // quotes and backslashes, alone, doubled, mixed, at either end
  "'", "''", "'''", '\\', '\\\\', "\\'", "'\\", "it's", "O'Reilly\\", "a''b\\\\c'", "\\'; SELECT 1; --",
  // what a literal's other spellings use: dollar quotes, E'' and U&'' escapes, casts, comments, statement ends
  '$$', '$tag$', "$$'; DROP TABLE wallets; --$$", "E'\\x41'", "E'\\''", "\\x27", "\\047", "\\u0027", "U&'\\0041'",
  "'::text; --", '--', '/*', '*/', '/* \' */', ';', "'; DROP TABLE wallets; --", "'); DROP TABLE wallets; --",
  "' OR '1'='1", 'NULL', "''::uuid",
  // control characters other than NUL (which PostgreSQL refuses, below)
  '\n', '\r\n', '\t', '\b', '\f', '\u001b[31m', '\u007f',
  // unicode: wide, right-to-left, combining, zero-width, BOM, no-break space, astral, a grapheme cluster
  'ＤＥＰＯＳＩＴ', '١٢٣', 'ключ', '🔑💸', 'e\u0301', '\u202Eevil', 'a\u200Bb', '\uFEFFkey', '1\u00a0000', '𝒳', '👩‍👩‍👧‍👦',
  '\u02bc', '\uff07', // modifier letter apostrophe, fullwidth apostrophe: look like quotes, are not
  // very long
  'k'.repeat(20_000), "'".repeat(10_000), '\\'.repeat(10_000), "\\'".repeat(5_000), 'ü'.repeat(50_000),
];

describe('applyCommandsScript quoting, against PostgreSQL', () => {
  let pool: pg.Pool;
  let client: pg.PoolClient;

  beforeAll(async () => {
    pool = adminPool();
    client = await pool.connect();
  });
  afterAll(async () => {
    client?.release();
    await pool?.end();
  });

  /** What PostgreSQL reads from the literal, in the array the script builds. */
  async function roundTrip(literal: string): Promise<string> {
    const result = await client.query<{ v: string }>(`SELECT (ARRAY[${literal}]::text[])[1] AS v`);
    return result.rows[0]!.v;
  }

  for (const conforming of ['on', 'off']) {
    it(`returns every hostile string exactly (standard_conforming_strings = ${conforming})`, async () => {
      await client.query(`SET standard_conforming_strings = ${conforming}`);
      try {
        for (const value of explicit) expect(await roundTrip(literalOf(value))).toBe(value);
        // Random text: any code point but NUL, well-formed UTF-16 (see the lone surrogate below).
        const text = fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: 'grapheme', maxLength: 50 }),
          fc.array(fc.constantFrom("'", '\\', '$', 'E', '"', ';', '-', '\n', 'a'), { maxLength: 60 }).map((parts) => parts.join('')),
          hostileIdempotencyKey.filter((k): k is string => k !== undefined),
        ).filter((s) => !s.includes('\u0000') && !LONE_SURROGATE.test(s));
        await fc.assert(fc.asyncProperty(text, async (value) => {
          expect(await roundTrip(literalOf(value))).toBe(value);
        }), { numRuns: 300 });
      } finally {
        await client.query('RESET standard_conforming_strings');
      }
    });
  }

  it('writes plain values between plain quotes, and quotes or backslashes as E\'\' with both doubled', () => {
    expect(literalOf('k-1')).toBe("'k-1'");
    expect(literalOf("it's")).toBe("'it''s'");
    expect(literalOf('a\\b')).toBe(" E'a\\\\b'");
  });

  it('cannot carry NUL: PostgreSQL refuses the statement, nothing is read back', async () => {
    // The key's own check (printable ASCII) refuses NUL long before this; the quoting need not.
    await expect(roundTrip(literalOf('a\u0000b'))).rejects.toThrow();
    const after = await client.query<{ ok: number }>('SELECT 1 AS ok');
    expect(after.rows[0]!.ok).toBe(1);
  });

  it('sends a lone surrogate as U+FFFD: Node encodes it before PostgreSQL sees it (the edge refuses such keys)', async () => {
    expect(await roundTrip(literalOf('a\ud800b'))).toBe('a\ufffdb');
  });
});
