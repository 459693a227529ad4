/**
 * Exact money as BigInt cents, for code that must add amounts up (reconciliation, the benchmark's
 * and the fault suite's checks, tests): parsed from and formatted to the API's and NUMERIC(18,2)'s
 * decimal text. A float would drift after thousands of additions; the API itself keeps amounts as
 * text (src/ledger/money.ts) and leaves arithmetic to PostgreSQL.
 */

const moneyText = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

/** "12.34" → 1234n, "-0.5" → -50n. Throws on anything but a decimal with at most two places. */
export function parseCents(text: string): bigint {
  const match = moneyText.exec(text);
  if (!match) throw new Error(`not a money amount: ${JSON.stringify(text)}`);
  const cents = BigInt(match[2] ?? '0') * 100n + BigInt((match[3] ?? '').padEnd(2, '0'));
  return match[1] === '-' ? -cents : cents;
}

/** 1234n → "12.34", -5n → "-0.05"; a whole number of cents may also be given as a safe integer. */
export function formatCents(cents: bigint | number): string {
  const value = typeof cents === 'bigint' ? cents : BigInt(cents);
  const abs = value < 0n ? -value : value;
  return `${value < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** A uniformly random amount from minCents to maxCents (inclusive). */
export function randomCents(minCents: number, maxCents: number): bigint {
  return BigInt(minCents + Math.floor(Math.random() * (maxCents - minCents + 1)));
}
