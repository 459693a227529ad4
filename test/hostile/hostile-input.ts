/**
 * Shared pieces of the hostile-input suite: generators of bad requests (fast-check arbitraries)
 * and the checks every answer must pass.
 */
import fc from 'fast-check';
import { formatCents } from '../../src/lib/cents.js';

/** Property runs per endpoint family; FUZZ_RUNS raises it for a long soak. */
export const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 150);

/** Anything that looks like an internal: a stack frame, a source path, SQL, a driver message, an address. */
export const internalsPattern = new RegExp([
  String.raw`\bat \S+ \(`, String.raw`\.(ts|js|mjs):\d+`, 'node_modules', '/work/', '/src/', '/tmp/',
  String.raw`\bSELECT\b`, String.raw`\bINSERT\b`, String.raw`\bUPDATE\b`, 'apply_operations', 'pg_', 'relation "',
  'syntax error', 'ECONNREFUSED', 'ECONNRESET', String.raw`127\.0\.0\.1`, 'localhost', '::1', 'postgres',
  'pgbouncer', 'wallet_app', 'DatabaseError', 'TypeError', 'ReferenceError',
].join('|'), 'i');

/** Amount-like values: the usual suspects plus random text, numbers and unicode digits. */
export const hostileAmount: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e3', '1E-2', '0x10', '0b1', '1_000', ' 1.00', '1.00 ', '+1',
    '-1', '0', '0.00', '-0.00', '0.001', '1.', '.5', '1..0', '', ' ', '9999999999999999.99', '10000000000000000.00',
    '99999999999999999999999999999999999999', '１２', '١٢٣', '1\u00a0000', '1,00', '1.0\u0000', '00000000000000000001.00'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.double({ noNaN: false }).map((d) => d),
  fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map((b) => b.toString()),
  fc.integer({ min: 1, max: 1_000_000 }).map((n) => formatCents(n)),
  fc.constantFrom(null, true, false, [], {}, ['1.00'], { value: '1.00' }),
);

export const hostileOperationType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('DEPOSIT', 'WITHDRAW', 'deposit', 'Withdraw', ' DEPOSIT', 'DEPOSIT\u0000', 'ＤＥＰＯＳＩＴ', 'TRANSFER', ''),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(null, 1, true, ['DEPOSIT'], { type: 'DEPOSIT' }),
);

/** A JSON object body: the two fields (present, absent or hostile) plus junk and prototype keys. */
export const hostileOperationObject = fc.record({
  operation_type: hostileOperationType,
  amount: hostileAmount,
  extra: fc.jsonValue({ maxDepth: 3 }),
}, { requiredKeys: [] }).chain((body) => fc.constantFrom<Record<string, unknown>>(
  body,
  { ...body, __proto__: { amount: '1.00' } },
  { ...body, constructor: { prototype: { amount: '1.00' } } },
));

/** Nested arrays/objects `depth` deep around a valid-looking body. */
export function nested(depth: number, open = '[', close = ']'): string {
  return `${open.repeat(depth)}{"operation_type":"DEPOSIT","amount":"1.00"}${close.repeat(depth)}`;
}

/** Raw body text: JSON of hostile objects, random JSON, random text, deep nesting, huge tokens. */
export const hostileBodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileOperationObject.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((d) => nested(d)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((n) => `{"operation_type":"DEPOSIT","amount":${'9'.repeat(n)}}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((n) => `{"operation_type":"DEPOSIT","amount":"${'x'.repeat(n)}"}`) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'true', '[]', '"x"', '1', '{', '{"a":1,}', '{"a":1}{"b":2}',
    '{"operation_type":"DEPOSIT","amount":"1.00","amount":"2.00"}', '\ufeff{"operation_type":"DEPOSIT","amount":"1.00"}',
    '{"operation_type":"DEPOSIT","amount":1e400}', '{"operation_type":"DEPOSIT","amount":-0}',
    '{"operation_type":"DEPOSIT","amount":"1.00"', '{"__proto__":{"amount":"1.00"},"operation_type":"DEPOSIT"}') },
);

export const hostileContentType: fc.Arbitrary<string | undefined> = fc.constantFrom(
  'application/json', 'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON',
  'application/json; charset=utf-16', 'application/json;;;', 'text/plain', 'text/html', 'application/xml',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/vnd.api+json',
  'application/octet-stream', '*/*', 'json', '', undefined,
);

/** Idempotency-Key values: absent, valid, too long, control characters, unicode. */
export const hostileIdempotencyKey: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.string({ minLength: 1, maxLength: 255 }).filter((s) => /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(s)),
  fc.integer({ min: 256, max: 20_000 }).map((n) => 'k'.repeat(n)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  fc.constantFrom(' ', '\t', 'a\tb', 'ключ', '🔑', '%00', 'a,b', ''),
);

/**
 * An Authorization header value: undefined (the test app's own key), or a hostile one: other
 * schemes, Bearer with nothing or garbage, keys of the right shape that do not exist, a real key
 * with one character changed, truncated or extended, another tenant's real key, huge and unicode values.
 */
export function hostileAuthorization(realKeys: string[]): fc.Arbitrary<string | undefined> {
  const hex = fc.stringMatching(/^[0-9a-f]{16}$/);
  const secret = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
  const mutate = (key: string) => fc.nat(key.length - 1).map((i) => `${key.slice(0, i)}${key[i] === 'A' ? 'B' : 'A'}${key.slice(i + 1)}`);
  return fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('', 'Bearer', 'Bearer ', 'bearer  ', 'Basic dXNlcjpwYXNz', 'Token abc', 'Bearer wsk_', 'Bearer wsk__',
      'Bearer null', 'Bearer 🔑', 'Bearer wsk_0123456789abcdef_', 'Bearer a b c'),
    fc.tuple(hex, secret).map(([id, s]) => `Bearer wsk_${id}_${s}`),
    ...realKeys.map((key) => fc.oneof(
      fc.constant(`Bearer ${key}`),
      mutate(key).map((k) => `Bearer ${k}`),
      fc.nat(key.length).map((n) => `Bearer ${key.slice(0, n)}`),
      fc.string({ maxLength: 20 }).map((tail) => `Bearer ${key}${tail}`),
      fc.constant(`${key}`),
    )),
    fc.integer({ min: 100, max: 8000 }).map((n) => `Bearer wsk_${'a'.repeat(n)}`),
    fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `Bearer ${s}`),
  );
}

/** A path segment where a uuid belongs. */
export function hostileIdSegment(validIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...validIds),
    fc.uuid().map((u) => u),
    fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
      '..', '%2e%2e', '%00', '%ZZ', '1;DROP TABLE wallets', "' OR 1=1 --", 'null', 'undefined', '__proto__'),
    fc.string({ maxLength: 60 }).map((s) => encodeURIComponent(s)),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => encodeURIComponent(s)),
    fc.integer({ min: 1, max: 5000 }).map((n) => 'a'.repeat(n)),
  );
}

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** The invariants every answer to a hostile request must hold; returns the broken ones. */
export function answerProblems(res: Answer, method: string): string[] {
  const problems: string[] = [];
  if (res.statusCode >= 500) problems.push(`status ${res.statusCode}`);
  if (res.statusCode >= 400 && method !== 'HEAD') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      problems.push(`error body is not JSON: ${res.body.slice(0, 120)}`);
    }
    if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || !('detail' in parsed))) {
      problems.push(`error body without detail: ${res.body.slice(0, 120)}`);
    }
    if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) {
      problems.push(`error content-type ${String(res.headers['content-type'])}`);
    }
    if (internalsPattern.test(res.body)) problems.push(`internals in error body: ${res.body.slice(0, 200)}`);
  }
  return problems;
}
