import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  amountKey, atScale, checkAmount, engineAmount, formatMoney, fromUnits, isAmountText, moneyMax, normalizeAmount, toUnits,
} from '../../src/ledger/money.js';

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
  ])('refuses %s at scale 2 (%s)', (input, type) => {
    const result = checkAmount(input, 2);
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

describe('checkAmount at other scales', () => {
  it('takes up to 18 decimals by default (the largest scale) and names the scale it refuses for', () => {
    expect(checkAmount('0.000000000000000001')).toEqual({ ok: true, value: '0.000000000000000001' });
    expect(checkAmount('0.0000000000000000001')).toMatchObject({ ok: false, type: 'decimal_max_places' });
    expect(checkAmount('1.5', 0)).toEqual({ ok: false, type: 'decimal_max_places', msg: 'Decimal input should have no more than 0 decimal places' });
    expect(checkAmount('1.125', 3)).toEqual({ ok: true, value: '1.125' });
  });
});

describe('formatMoney (stored values keep their wallet\'s scale)', () => {
  it.each([['0.00', '0.00'], ['100', '100'], ['10.00', '10.00'], ['-5.000', '-5.000'], ['0.00000001', '0.00000001']])(
    'prints %s as %s', (input, expected) => expect(formatMoney(input)).toBe(expected));

  it('refuses what is not a decimal', () => {
    expect(() => formatMoney('abc')).toThrow();
  });
});

describe('amounts at a scale', () => {
  it.each([['1.5', '1.5', '1.50'], ['007', '7', '7.00'], ['1.000', '1.000', '1.00'], ['1.250', '1.250', '1.25'], ['10', '10', '10.00'],
    ['0.00000001', '0.00000001', '0.00000001']])('%s: the engine gets %s, the fingerprint %s', (input, engine, key) => {
    expect(engineAmount(input)).toBe(engine);
    expect(amountKey(input)).toBe(key);
  });

  it('pads to a scale, converts to units and back, and states the largest amount per scale', () => {
    expect(atScale('5', 3)).toBe('5.000');
    expect(atScale('5', 0)).toBe('5');
    expect(fromUnits(toUnits('-1.05', 2) - 1n, 2)).toBe('-1.06');
    expect(fromUnits(toUnits('0.5', 3), 3)).toBe('0.500');
    expect(moneyMax(0)).toBe('9999999999999999');
    expect(moneyMax(2)).toBe('9999999999999999.99');
    expect(moneyMax(8)).toBe('9999999999999999.99999999');
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

  it.each(['1.0000000000000000000', '', '1.', '.5'])('asserts on text the format refuses: %j', (text) => {
    expect(() => normalizeAmount(text)).toThrow(/assertion failed/);
  });
});
