/**
 * Exact money for the harness: amounts as BigInt cents, parsed from and formatted to the API's
 * decimal strings. The correctness check adds up thousands of amounts; a float would drift.
 */

const moneyPattern = /^(\d+)(?:\.(\d{1,2}))?$/;

/** "12.34" → 1234n. Throws on anything that is not a non-negative decimal with at most 2 places. */
export function parseCents(text: string): bigint {
  const match = moneyPattern.exec(text);
  if (!match) throw new Error(`not a money amount: ${JSON.stringify(text)}`);
  const fraction = (match[2] ?? '').padEnd(2, '0');
  return BigInt(match[1] ?? '0') * 100n + BigInt(fraction);
}

/** 1234n → "12.34", -5n → "-0.05". */
export function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** A uniformly random amount from minCents to maxCents (inclusive). */
export function randomCents(minCents: number, maxCents: number): bigint {
  return BigInt(minCents + Math.floor(Math.random() * (maxCents - minCents + 1)));
}
