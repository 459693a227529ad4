import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { backoffDelayMs, retry, RetriesExhausted } from '../src/lib/retry.js';
import { classifyDbError } from '../src/db/pg-errors.js';

describe('config', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8000);
    expect(config.host).toBe('localhost');
    expect(config.databaseUrl).toBeUndefined();
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  it('bounds hold expiry: a default, a maximum, and the default not above the maximum', () => {
    expect(loadConfig({}).holds).toEqual({ expiresInSecondsDefault: 604800, expiresInSecondsMax: 2592000 });
    expect(loadConfig({ HOLD_EXPIRES_IN_SECONDS_DEFAULT: '60', HOLD_EXPIRES_IN_SECONDS_MAX: '120' }).holds)
      .toEqual({ expiresInSecondsDefault: 60, expiresInSecondsMax: 120 });
    expect(() => loadConfig({ HOLD_EXPIRES_IN_SECONDS_DEFAULT: '121', HOLD_EXPIRES_IN_SECONDS_MAX: '120' }))
      .toThrow(/HOLD_EXPIRES_IN_SECONDS_DEFAULT must not exceed HOLD_EXPIRES_IN_SECONDS_MAX/);
    expect(() => loadConfig({ HOLD_EXPIRES_IN_SECONDS_MAX: '0' })).toThrow(/HOLD_EXPIRES_IN_SECONDS_MAX must be an integer from 1/);
  });

  it('uses DATABASE_URL for migrations unless MIGRATION_DATABASE_URL is set', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://a/b' }).migrationDatabaseUrl).toBe('postgres://a/b');
    expect(loadConfig({ DATABASE_URL: 'postgres://a/b', MIGRATION_DATABASE_URL: 'postgres://c/d' }).migrationDatabaseUrl).toBe('postgres://c/d');
  });
});

describe('retry', () => {
  const policy = { attemptsMax: 4, baseDelayMs: 1, maxDelayMs: 4, budgetMs: 10_000 };

  it('backoff is capped and jittered', () => {
    expect(backoffDelayMs(policy, 1, () => 1)).toBe(1);
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(4);
    expect(backoffDelayMs(policy, 10, () => 1)).toBe(4);
    expect(backoffDelayMs(policy, 10, () => 0)).toBe(0);
  });

  it('retries transient errors up to the bound, then gives up with the last error', async () => {
    let calls = 0;
    const failing = retry(policy, { isRetryable: () => true }, async () => { calls++; throw new Error('boom'); });
    await expect(failing).rejects.toBeInstanceOf(RetriesExhausted);
    expect(calls).toBe(4);
  });

  it('does not retry permanent errors', async () => {
    let calls = 0;
    await expect(retry(policy, { isRetryable: () => false }, async () => { calls++; throw new Error('bad'); })).rejects.toThrow('bad');
    expect(calls).toBe(1);
  });

  it('returns the first success', async () => {
    let calls = 0;
    expect(await retry(policy, { isRetryable: () => true }, async (n) => { calls++; if (n < 3) throw new Error('x'); return n; })).toBe(3);
    expect(calls).toBe(3);
  });
});

describe('classifyDbError', () => {
  it.each(['40001', '40P01', '55P03', '57P01', '08006', '53300'])('%s is transient', (code) => {
    expect(classifyDbError({ code, message: 'x' }).transient).toBe(true);
  });
  it.each(['23514', '22P02', '42P01'])('%s is not', (code) => {
    expect(classifyDbError({ code, message: 'x' }).transient).toBe(false);
  });
  it('socket errors are transient', () => {
    expect(classifyDbError({ code: 'ECONNRESET', message: 'read ECONNRESET' }).transient).toBe(true);
    expect(classifyDbError(new Error('Connection terminated unexpectedly')).transient).toBe(true);
  });
});
