/**
 * The schema of every setting (src/config/): each described once and in full, the docs sections
 * covering exactly the schema, and the loader reading every kind of setting as before.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type, type TObject, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Config, ConfigError, ConfigSchema, loadConfig } from '../../src/config/config.js';
import { ORDER_RULES } from '../../src/config/config-rules.js';
import { SECTIONS } from '../../src/config/config-schema.js';
import { type SettingMeta, settingOf } from '../../src/config/setting.js';

interface Leaf {
  path: string;
  schema: TSchema;
  setting: SettingMeta;
}

function leaves(group: TObject, prefix = ''): Leaf[] {
  return Object.entries(group.properties).flatMap(([key, schema]: [string, TSchema]) => {
    const setting = settingOf(schema);
    if (setting !== undefined) return [{ path: prefix + key, schema, setting }];
    expect(Type.IsObject(schema), `${prefix + key} is a setting or a group`).toBe(true);
    return leaves(schema as TObject, `${prefix + key}.`);
  });
}

const all = leaves(ConfigSchema);
const integers = all.filter((leaf) => leaf.setting.kind === 'integer');
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
};

describe('the configuration schema', () => {
  it('has every setting of Config in exactly one docs section, at the same place', () => {
    const inSections = SECTIONS.flatMap((section) => Object.entries(section.settings).map(([key, schema]) =>
      `${section.group ? `${section.group}.` : ''}${key}=${settingOf(schema)?.env}`));
    expect(inSections.sort()).toEqual(all.map((leaf) => `${leaf.path}=${leaf.setting.env}`).sort());
    expect(all.length).toBeGreaterThanOrEqual(73);
  });

  it('names each variable once, with a meaning', () => {
    const names = all.map((leaf) => leaf.setting.env);
    expect(new Set(names).size).toBe(names.length);
    for (const { setting } of all) expect(setting.meaning, setting.env).toMatch(/^\S.{8,}$/);
  });

  it('gives every setting a default inside its own bounds', () => {
    const defaults = loadConfig({});
    expect([...Value.Errors(ConfigSchema, defaults)]).toEqual([]);
    for (const { setting, schema } of all) {
      const hasDefault = (schema as { default?: unknown }).default !== undefined;
      const mayBeUnset = ['postgres-url', 'hex-key', 'file'].includes(setting.kind);
      expect(hasDefault || setting.derived !== undefined || mayBeUnset, `${setting.env} has a default`).toBe(true);
    }
  });

  it('loads values that fit the schema (the loader itself does not check, to start faster)', () => {
    const envs = [{}, { TRUST_PROXY: '2', DATABASE_URL: 'postgres://a/b', LOG_LEVEL: 'debug' },
      { TRUST_PROXY: '10.0.0.0/8', EMBEDDED_PG_DIR: '/srv/pg', WEBHOOK_SECRET_KEY: 'ab'.repeat(32), AUTH_REQUIRED: 'no' },
      Object.fromEntries(integers.map((leaf) => [leaf.setting.env, String((leaf.schema as { maximum: number }).maximum)]))];
    for (const env of envs) expect([...Value.Errors(ConfigSchema, loadConfig(env))], JSON.stringify(env)).toEqual([]);
  });

  it('gives integers the unit their names carry', () => {
    const unitOfName: Array<[RegExp, string]> = [[/_MS$/, 'ms'], [/_US$/, 'µs'], [/_BYTES$/, 'bytes'], [/_SECONDS_/, 's'], [/_HOURS$/, 'h'], [/_PERCENT$/, '%']];
    for (const { setting } of integers) {
      const named = unitOfName.find(([pattern]) => pattern.test(setting.env));
      if (named) expect(setting.unit, setting.env).toBe(named[1]);
      else expect(setting.unit ?? '', setting.env).not.toMatch(/^(ms|µs|bytes|s|h|%)$/);
    }
  });

  it('states each rule across settings over two integer settings', () => {
    const names = new Set(integers.map((leaf) => leaf.setting.env));
    for (const rule of ORDER_RULES) expect([rule.lower, rule.upper].filter((name) => !names.has(name))).toEqual([]);
  });

  it('derives Config\'s type, in the shape the service uses', () => {
    expectTypeOf<Config['port']>().toEqualTypeOf<number>();
    expectTypeOf<Config['databaseUrl']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Config['trustProxy']>().toEqualTypeOf<boolean | number | string>();
    expectTypeOf<Config['auth']['required']>().toEqualTypeOf<boolean>();
    expectTypeOf<Config['auth']['firstRunKeyFile']>().toEqualTypeOf<string>();
    expectTypeOf<Config['webhooks']['secretKeyHex']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Config['groupCommit']['maxWaitUs']>().toEqualTypeOf<number>();
    expectTypeOf<Config['logLevel']>().toExtend<string>();
  });
});

describe('loadConfig', () => {
  it('reports a bad value of every integer setting at once', () => {
    const env = Object.fromEntries(integers.map((leaf) => [leaf.setting.env, 'x']));
    expect(problemsOf(env)).toHaveLength(integers.length);
    expect(problemsOf({ PORT: '65536' })).toEqual(['PORT must be an integer from 0 to 65535 (got "65536")']);
  });

  it('reports a broken rule with the names of both settings', () => {
    expect(problemsOf({ RETRY_BASE_DELAY_MS: '2000', RETRY_MAX_DELAY_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '40000' })).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS',
      'RETRY_BASE_DELAY_MS must not exceed RETRY_MAX_DELAY_MS',
    ]);
  });

  it('reads booleans, choices and the proxy list', () => {
    expect(loadConfig({ AUTH_REQUIRED: 'off', MIGRATE_ON_START: 'YES' })).toMatchObject({ auth: { required: false }, migrateOnStart: true });
    expect(problemsOf({ AUTH_REQUIRED: 'maybe', LOG_LEVEL: 'loud' })).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'AUTH_REQUIRED must be true or false (got "maybe")',
    ]);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 10.1.0.1' }).trustProxy).toBe('10.0.0.0/8, 10.1.0.1');
    expect(problemsOf({ TRUST_PROXY: 'anyone' })).toHaveLength(1);
  });

  it('computes derived defaults from the settings they depend on', () => {
    expect(loadConfig({}).auth.firstRunKeyFile).toBe(join('.data', 'api-key'));
    expect(loadConfig({ EMBEDDED_PG_DIR: '/srv/pg/data' }).auth.firstRunKeyFile).toBe('/srv/pg/api-key');
    expect(loadConfig({ EMBEDDED_PG_DIR: '/srv/pg/data', API_KEY_FILE: '/k' }).auth.firstRunKeyFile).toBe('/k');
    expect(loadConfig({}).migrationDatabaseUrl).toBeUndefined();
  });

  it('reads secrets from NAME_FILE, never from both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
    const key = 'ab'.repeat(32);
    writeFileSync(join(dir, 'key'), `${key}\n`);
    writeFileSync(join(dir, 'url'), 'postgres://file/db\n');
    expect(loadConfig({ WEBHOOK_SECRET_KEY_FILE: join(dir, 'key'), DATABASE_URL_FILE: join(dir, 'url') }))
      .toMatchObject({ webhooks: { secretKeyHex: key }, databaseUrl: 'postgres://file/db', migrationDatabaseUrl: 'postgres://file/db' });
    expect(problemsOf({ WEBHOOK_SECRET_KEY: key, WEBHOOK_SECRET_KEY_FILE: join(dir, 'key') }))
      .toEqual(['set WEBHOOK_SECRET_KEY or WEBHOOK_SECRET_KEY_FILE, not both']);
    expect(problemsOf({ WEBHOOK_SECRET_KEY_PREVIOUS: 'short' }))
      .toEqual(['WEBHOOK_SECRET_KEY_PREVIOUS must be 64 hex digits (32 bytes; e.g. openssl rand -hex 32)']);
    expect(problemsOf({ DATABASE_URL_FILE: join(dir, 'missing') })).toEqual([`DATABASE_URL_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`]);
  });
});
