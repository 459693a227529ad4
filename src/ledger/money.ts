/**
 * Decimal-string money rules. Amounts never pass through a JS number: they are checked as text
 * and computed in PostgreSQL NUMERIC(18,2).
 */
import { assert } from '../lib/assert.js';

export const MONEY_MAX = '9999999999999999.99';
const INTEGER_DIGITS_MAX = 16;
const FRACTION_DIGITS_MAX = 2;

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
export function checkAmount(input: unknown): AmountCheck {
  if (typeof input === 'string' && PLAIN_AMOUNT.test(input)) {
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
  if (fraction.length > FRACTION_DIGITS_MAX) {
    return { ok: false, type: 'decimal_max_places', msg: 'Decimal input should have no more than 2 decimal places' };
  }
  const isZero = /^0+$/.test(integer) && /^0*$/.test(fraction);
  if (negative || isZero) {
    return { ok: false, type: 'greater_than', msg: 'Input should be greater than 0' };
  }
  if (integer.length > INTEGER_DIGITS_MAX) {
    return { ok: false, type: 'less_than_equal', msg: `Input should be less than or equal to ${MONEY_MAX}` };
  }
  return { ok: true, value: `${integer}.${fraction.padEnd(FRACTION_DIGITS_MAX, '0')}` };
}

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;

/** Formats a NUMERIC value from PostgreSQL (text) with exactly two decimals. */
export function formatMoney(value: string): string {
  // NUMERIC(18,2) text already has exactly two decimals: what the general path below returns unchanged.
  const dot = value.length - 3;
  if (dot >= 0 && value.indexOf('.') === dot && isDigit(value.charCodeAt(dot + 1)) && isDigit(value.charCodeAt(dot + 2))) return value;
  const negative = value.startsWith('-');
  const [integer = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  if (/[1-9]/.test(fraction.slice(FRACTION_DIGITS_MAX))) {
    throw new Error(`money value with more than ${FRACTION_DIGITS_MAX} decimals: ${value}`);
  }
  return `${negative ? '-' : ''}${integer}.${fraction.slice(0, FRACTION_DIGITS_MAX).padEnd(FRACTION_DIGITS_MAX, '0')}`;
}

/** The Ajv format `money` (registered in src/plugins/validation.ts): an amount checkAmount accepts. */
export function isAmountText(value: string): boolean {
  return PLAIN_AMOUNT.test(value) || checkAmount(value).ok;
}

/**
 * An amount that already passed the `money` format, written with exactly two decimals and no
 * leading zeros ("1.5" → "1.50", "007" → "7.00"). It formats, it does not check again: the
 * assertion only catches a caller that skipped validation (a bug).
 */
export function normalizeAmount(valid: string): string {
  const dot = valid.indexOf('.');
  const integer = dot < 0 ? valid : valid.slice(0, dot);
  const fraction = dot < 0 ? '' : valid.slice(dot + 1);
  assert(integer.length > 0 && fraction.length <= FRACTION_DIGITS_MAX && (dot < 0 || fraction.length > 0),
    'amount not validated before use');
  let start = 0;
  while (start < integer.length - 1 && integer.charCodeAt(start) === 0x30) start++;
  if (start === 0 && fraction.length === FRACTION_DIGITS_MAX) return valid;
  return `${integer.slice(start)}.${fraction.padEnd(FRACTION_DIGITS_MAX, '0')}`;
}
