import { describe, expect, it } from 'vitest';
import { formatCents, parseCents, randomCents } from '../../src/lib/cents.js';

describe('cents', () => {
  it('parses exact amounts, signed, with up to two places', () => {
    expect(parseCents('0.1')).toBe(10n);
    expect(parseCents('12.34')).toBe(1234n);
    expect(parseCents('7')).toBe(700n);
    expect(parseCents('-0.05')).toBe(-5n);
    expect(parseCents('9999999999999999.99')).toBe(999999999999999999n);
  });

  it('refuses what is not a two-place decimal', () => {
    for (const text of ['1e3', '1.234', '', '.5', '1.', '+1', ' 1', 'NaN']) expect(() => parseCents(text), text).toThrow(/not a money amount/);
  });

  it('formats BigInt and whole-number cents with two places', () => {
    expect(formatCents(5n)).toBe('0.05');
    expect(formatCents(-1234n)).toBe('-12.34');
    expect(formatCents(0n)).toBe('0.00');
    expect(formatCents(100_000)).toBe('1000.00');
    expect(formatCents(parseCents('9999999999999999.99'))).toBe('9999999999999999.99');
  });

  it('draws random amounts within the bounds', () => {
    for (let i = 0; i < 200; i++) {
      const c = randomCents(1, 3);
      expect(c >= 1n && c <= 3n).toBe(true);
    }
  });
});
