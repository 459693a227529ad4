/**
 * Decimal-string money rules. Amounts never pass through a JS number: they are checked as text
 * and computed in PostgreSQL NUMERIC. A wallet's scale (its currency's decimals, 0-18; 2 by
 * default) says how many decimals its amounts may have: the edge accepts up to SCALE_MAX, and
 * apply_operations_v5 refuses more than the wallet's scale (AMOUNT_SCALE, a 422).
 * The largest amount and balance for scale s is 10^16 - 10^-s: 16 integer digits (moneyMax).
 */
import { assert } from '../lib/assert.js';

/** The largest amount and balance of the default scale (2), the original contract's bound. */
export const MONEY_MAX = '9999999999999999.99';
const INTEGER_DIGITS_MAX = 16;
/** The default scale: the original contract's two decimals. */
export const DEFAULT_SCALE = 2;
/** The most decimals any currency or asset may have. */
export const SCALE_MAX = 18;
const FRACTION_DIGITS_MAX = SCALE_MAX;

/** The largest amount and balance for a scale: 16 nines, then `scale` nines after the point. */
export function moneyMax(scale: number): string {
  return scale === 0 ? '9'.repeat(INTEGER_DIGITS_MAX) : `${'9'.repeat(INTEGER_DIGITS_MAX)}.${'9'.repeat(scale)}`;
}

export type AmountCheck =
  | { ok: true; value: string }
  | { ok: false; type: string; msg: string };

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** The usual amount: no leading zero, at most 16 integer digits and 2 decimals (accepted as is, padded). */
const PLAIN_AMOUNT = /^[1-9]\d{0,15}(\.\d{1,2})?$/;

/**
 * Validates an amount given as text (a JSON string, or a JSON number's exact source text) and
 * returns it normalised to exactly two decimals. Messages follow pydantic's wording. Run once per
 * request, by the schema's `money` format (isAmountText); on a refusal, the validation plugin runs it
 * again for the message.
 */
export function checkAmount(input: unknown, scale = FRACTION_DIGITS_MAX): AmountCheck {
  if (typeof input === 'string' && PLAIN_AMOUNT.test(input) && scale >= DEFAULT_SCALE) {
    const dot = input.indexOf('.');
    return { ok: true, value: dot < 0 ? `${input}.00` : dot === input.length - 2 ? `${input}0` : input };
  }
  if (input === undefined) return { ok: false, type: 'missing', msg: 'Field required' };
  if (typeof input !== 'string') {
    return { ok: false, type: 'decimal_type', msg: 'Decimal input should be an integer, float, string or Decimal object' };
  }
  if (!DECIMAL.test(input)) {
    return { ok: false, type: 'decimal_parsing', msg: 'Input should be a valid decimal' };
  }
  const negative = input.startsWith('-');
  const [rawInt = '', fraction = ''] = (negative ? input.slice(1) : input).split('.');
  const integer = rawInt.replace(/^0+(?=\d)/, '');
  if (fraction.length > scale) return tooManyDecimals(scale);
  const isZero = /^0+$/.test(integer) && /^0*$/.test(fraction);
  if (negative || isZero) {
    return { ok: false, type: 'greater_than', msg: 'Input should be greater than 0' };
  }
  if (integer.length > INTEGER_DIGITS_MAX) {
    return { ok: false, type: 'less_than_equal', msg: `Input should be less than or equal to ${MONEY_MAX}` };
  }
  return { ok: true, value: `${integer}.${fraction.padEnd(DEFAULT_SCALE, '0')}` };
}

/** Pydantic's refusal of an amount with more decimals than `scale`. */
export function tooManyDecimals(scale: number): { ok: false; type: string; msg: string } {
  return { ok: false, type: 'decimal_max_places', msg: `Decimal input should have no more than ${scale} decimal places` };
}

const STORED_DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * A NUMERIC value from PostgreSQL (text) as the API shows it: as printed. Every stored money value
 * has its wallet's scale as its display scale (changeset 030 and apply_operations_v5 see to it),
 * so PostgreSQL's text already has exactly `scale` decimals ("100" for JPY, "1.000" for KWD).
 */
export function formatMoney(value: string): string {
  if (!STORED_DECIMAL.test(value)) throw new Error(`not a stored money value: ${value}`);
  return value;
}

/** The Ajv format `money` (registered in src/plugins/validation.ts): an amount checkAmount accepts. */
export function isAmountText(value: string): boolean {
  return PLAIN_AMOUNT.test(value) || checkAmount(value).ok;
}

/** Splits a validated amount ("007.50") into its integer digits without leading zeros ("7") and its fraction ("50"). */
function parts(valid: string): { integer: string; fraction: string } {
  const dot = valid.indexOf('.');
  const integer = dot < 0 ? valid : valid.slice(0, dot);
  const fraction = dot < 0 ? '' : valid.slice(dot + 1);
  assert(integer.length > 0 && fraction.length <= FRACTION_DIGITS_MAX && (dot < 0 || fraction.length > 0),
    'amount not validated before use');
  let start = 0;
  while (start < integer.length - 1 && integer.charCodeAt(start) === 0x30) start++;
  return { integer: start === 0 ? integer : integer.slice(start), fraction };
}

/**
 * An amount that already passed the `money` format, written with at least two decimals and no
 * leading zeros ("1.5" → "1.50", "007" → "7.00", "1.125" → "1.125"): the answer's amount before
 * the engine has said the wallet's scale (FAILED and PENDING answers). It formats, it does not
 * check again: the assertion only catches a caller that skipped validation (a bug).
 */
export function normalizeAmount(valid: string): string {
  const { integer, fraction } = parts(valid);
  if (integer === valid && fraction.length === DEFAULT_SCALE) return valid;
  return `${integer}.${fraction.padEnd(DEFAULT_SCALE, '0')}`;
}

/**
 * The amount as the engine gets it: its decimals as written ("1.5", "100", "1.000"), leading zeros
 * dropped. apply_operations_v5 counts the written decimals against the wallet's scale (so "1.000"
 * stays a 422 on a 2-decimal wallet, as before) and then pads to the scale.
 */
export function engineAmount(valid: string): string {
  const { integer, fraction } = parts(valid);
  return fraction.length === 0 ? integer : `${integer}.${fraction}`;
}

/**
 * The amount as an idempotency fingerprint sees it: the same value however written ("10",
 * "10.00", 10.0, and "10.000" on a wallet with 3 decimals): at least two decimals, trailing zeros
 * beyond them dropped. For two decimals this is normalizeAmount's text, so fingerprints stored
 * before currencies existed still match.
 */
export function amountKey(valid: string): string {
  const padded = normalizeAmount(valid);
  const keep = padded.indexOf('.') + 1 + DEFAULT_SCALE;
  let end = padded.length;
  while (end > keep && padded.charCodeAt(end - 1) === 0x30) end--;
  return padded.slice(0, end);
}

/** Units of 10^-scale as a BigInt: "12.345" at scale 3 → 12345n (for messages that subtract two amounts). */
export function toUnits(value: string, scale: number): bigint {
  const negative = value.startsWith('-');
  const [integer = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  assert(fraction.length <= scale, `money value ${value} has more than ${scale} decimals`);
  const units = BigInt(integer + fraction.padEnd(scale, '0'));
  return negative ? -units : units;
}

/** The inverse of toUnits. */
export function fromUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** A validated amount written with exactly `scale` decimals (it has at most that many: the caller checked). */
export function atScale(valid: string, scale: number): string {
  const { integer, fraction } = parts(valid);
  assert(fraction.length <= scale, `amount ${valid} has more than ${scale} decimals`);
  return scale === 0 ? integer : `${integer}.${fraction.padEnd(scale, '0')}`;
}

/** How many decimals a validated amount is written with. */
export function decimalsOf(valid: string): number {
  return parts(valid).fraction.length;
}

/** The scale a stored value is written with (its decimals). */
export function scaleOf(value: string): number {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}
