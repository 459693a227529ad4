/**
 * Rules across settings, checked after each setting is read on its own. Each is named and says
 * why, and the generated docs list them beside the tables.
 */

/** `lower` must not exceed `upper` (variable names; both integer settings). */
export interface OrderRule {
  lower: string;
  upper: string;
  why: string;
}

export const ORDER_RULES: readonly OrderRule[] = [
  { lower: 'HTTP_HEADERS_TIMEOUT_MS', upper: 'HTTP_REQUEST_TIMEOUT_MS', why: 'the headers are part of the request' },
  { lower: 'HOLD_EXPIRES_IN_SECONDS_DEFAULT', upper: 'HOLD_EXPIRES_IN_SECONDS_MAX', why: 'a hold that asks for nothing must be allowed' },
  { lower: 'WEBHOOK_RETRY_BASE_DELAY_MS', upper: 'WEBHOOK_RETRY_MAX_DELAY_MS', why: 'the first delay is capped by the maximum' },
  { lower: 'RETRY_BASE_DELAY_MS', upper: 'RETRY_MAX_DELAY_MS', why: 'the first delay is capped by the maximum' },
];

/** The problem with `rule` given the values read (by variable name), if any. */
export function orderProblem(rule: OrderRule, values: ReadonlyMap<string, unknown>): string | undefined {
  const lower = values.get(rule.lower);
  const upper = values.get(rule.upper);
  if (typeof lower !== 'number' || typeof upper !== 'number') {
    throw new Error(`assertion failed: rule ${rule.lower} <= ${rule.upper} names a setting that is not an integer`);
  }
  return lower > upper ? `${rule.lower} must not exceed ${rule.upper}` : undefined;
}

/** Settings that are set together or not at all (variable names). */
export interface TogetherRule {
  settings: readonly [string, string];
  why: string;
}

export const TOGETHER_RULES: readonly TogetherRule[] = [
  { settings: ['TLS_CERT_FILE', 'TLS_KEY_FILE'], why: 'a certificate serves only with its key' },
];

/** The problem with `rule` given the values read (by variable name), if any. */
export function togetherProblem(rule: TogetherRule, values: ReadonlyMap<string, unknown>): string | undefined {
  const [a, b] = rule.settings;
  return (values.get(a) === undefined) === (values.get(b) === undefined) ? undefined : `set both ${a} and ${b}, or neither`;
}
