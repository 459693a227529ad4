/**
 * All settings, read from the environment once at start-up and validated together, so a bad
 * deployment fails fast with every problem listed instead of one at a time. What the settings are
 * (names, types, defaults, bounds, meaning) is the schema in config-schema.ts. Config is the lowest
 * layer (eslint.layers.js), so its "cannot happen" check throws here rather than import lib/assert.
 */
import { Type, type TObject, type TSchema } from 'typebox';
import { type Env, ConfigReader } from './config-reader.js';
import { ORDER_RULES, orderProblem, TOGETHER_RULES, togetherProblem } from './config-rules.js';
import { type Config, ConfigSchema } from './config-schema.js';
import { settingOf } from './setting.js';

export type { Config } from './config-schema.js';
export { ConfigSchema } from './config-schema.js';
export { HOST_DEFAULT } from './service-settings.js';
export { ConfigReader, type Env } from './config-reader.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Env = process.env): Config {
  const reader = new ConfigReader(env);
  const values = new Map<string, unknown>();
  const derived: Array<() => void> = [];
  const config = readGroup(ConfigSchema, reader, values, derived);
  // Derived defaults once every setting is read, so they may depend on any of them.
  for (const fill of derived) fill();
  for (const rule of ORDER_RULES) {
    const problem = orderProblem(rule, values);
    if (problem !== undefined) reader.problems.push(problem);
  }
  for (const rule of TOGETHER_RULES) {
    const problem = togetherProblem(rule, values);
    if (problem !== undefined) reader.problems.push(problem);
  }
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  // Each reader returns a value of its schema's type, and test/config/config-schema.test.ts checks
  // the defaults against the schema (Value.Check); not here, as typebox/value would add its load
  // time (~0.4 s on a busy 2-core machine) to every process start.
  return config as Config;
}

/** Reads the settings of one group (the top level, or `http`, `auth`, ...) in schema order. */
function readGroup(group: TObject, reader: ConfigReader, values: Map<string, unknown>, derived: Array<() => void>) {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(group.properties) as Array<[string, TSchema]>) {
    const setting = settingOf(schema);
    if (setting === undefined) {
      if (!Type.IsObject(schema)) throw new Error(`assertion failed: config key ${key} is neither a setting nor a group`);
      out[key] = readGroup(schema, reader, values, derived);
      continue;
    }
    const value = reader.read(schema, setting);
    out[key] = value;
    values.set(setting.env, value);
    const rule = setting.derived;
    if (value === undefined && rule !== undefined) {
      derived.push(() => {
        out[key] = rule.from(values);
        values.set(setting.env, out[key]);
      });
    }
  }
  return out;
}
