import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAmount, formatMoney, isAmountText, normalizeAmount } from '../../src/ledger/money.js';

describe('checkAmount', () => {
  it.each([
    ['100', '100.00'], ['0.1', '0.10'], ['0.01', '0.01'], ['007.5', '7.50'],
    ['1234567890123456.78', '1234567890123456.78'], ['9999999999999999.99', '9999999999999999.99'],
  ])('accepts %s as %s', (input, expected) => {
    expect(checkAmount(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['0', 'greater_than'], ['0.00', 'greater_than'], ['-1', 'greater_than'], ['-0.01', 'greater_than'],
    ['1.001', 'decimal_max_places'], ['0.000', 'decimal_max_places'],
    ['10000000000000000', 'less_than_equal'], ['10000000000000000.00', 'less_than_equal'],
    ['abc', 'decimal_parsing'], ['NaN', 'decimal_parsing'], ['Infinity', 'decimal_parsing'], ['1e5', 'decimal_parsing'],
    ['1E-2', 'decimal_parsing'], ['', 'decimal_parsing'], [' 1', 'decimal_parsing'], ['1.', 'decimal_parsing'],
    ['+1', 'decimal_parsing'], ['0x10', 'decimal_parsing'], ['1,5', 'decimal_parsing'],
  ])('refuses %s (%s)', (input, type) => {
    const result = checkAmount(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.type).toBe(type);
  });

  it('refuses missing and non-string values', () => {
    expect(checkAmount(undefined)).toMatchObject({ ok: false, type: 'missing' });
    expect(checkAmount(null)).toMatchObject({ ok: false, type: 'decimal_type' });
    expect(checkAmount(true)).toMatchObject({ ok: false, type: 'decimal_type' });
    expect(checkAmount({})).toMatchObject({ ok: false, type: 'decimal_type' });
  });
});

describe('formatMoney', () => {
  it.each([['0', '0.00'], ['5.5', '5.50'], ['10.00', '10.00'], ['1234567890123456.78', '1234567890123456.78'], ['3.100', '3.10']])(
    'formats %s as %s', (input, expected) => expect(formatMoney(input)).toBe(expected));

  it('refuses to drop significant digits', () => {
    expect(() => formatMoney('1.005')).toThrow();
  });
});

describe('normalizeAmount (after the money format, without checking again)', () => {
  it('writes every amount the format accepts exactly as checkAmount does', () => {
    const amount = fc.tuple(fc.stringMatching(/^\d{1,18}$/), fc.option(fc.stringMatching(/^\d{1,3}$/)))
      .map(([integer, fraction]) => (fraction === null ? integer : `${integer}.${fraction}`));
    fc.assert(fc.property(amount, (text) => {
      const checked = checkAmount(text);
      expect(isAmountText(text)).toBe(checked.ok);
      if (checked.ok) expect(normalizeAmount(text)).toBe(checked.value);
    }), { numRuns: 2000 });
  });

  it.each(['1.234', '', '1.', '.5'])('asserts on text the format refuses: %j', (text) => {
    expect(() => normalizeAmount(text)).toThrow(/assertion failed/);
  });
});
