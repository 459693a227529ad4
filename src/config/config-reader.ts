/**
 * Reads one setting from the environment by its schema: parses the text by the setting's kind,
 * checks it against the schema's bounds, and on a bad value records the problem and returns the
 * default, so that the loader goes on and reports every problem at once.
 */
import { readFileSync } from 'node:fs';
import type { TSchema } from 'typebox';
import { type SettingMeta } from './setting.js';

export type Env = Record<string, string | undefined>;

const TRUE_TEXT = /^(1|true|yes|on)$/i;
const FALSE_TEXT = /^(0|false|no|off)$/i;

/** The schema keywords a setting's reader needs (TypeBox schemas are plain JSON Schema). */
interface SettingSchema {
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
}

export class ConfigReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  /** The value of the setting, its default when unset or bad, or undefined when it has none. */
  read(schema: TSchema, setting: SettingMeta): unknown {
    const s = schema as SettingSchema;
    const raw = setting.fromFile ? this.secret(setting.env) : this.optional(setting.env);
    if (raw === undefined) return s.default;
    switch (setting.kind) {
      case 'integer': return this.integer(setting.env, raw, s);
      case 'boolean': return this.boolean(setting.env, raw, s.default);
      case 'string':
      case 'file': return raw;
      case 'choice': return this.choice(setting.env, raw, s);
      case 'postgres-url': return this.postgresUrl(setting.env, raw);
      case 'hex-key': return this.hexKey(setting.env, raw);
      case 'trust-proxy': return this.trustProxy(setting.env, raw);
    }
  }

  private optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  private integer(name: string, raw: string, s: SettingSchema): unknown {
    const { minimum: min, maximum: max } = s;
    if (!/^\d+$/.test(raw) || Number(raw) < min! || Number(raw) > max!) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return s.default;
    }
    return Number(raw);
  }

  private boolean(name: string, raw: string, fallback: unknown): unknown {
    if (TRUE_TEXT.test(raw)) return true;
    if (FALSE_TEXT.test(raw)) return false;
    this.problems.push(`${name} must be true or false (got ${JSON.stringify(raw)})`);
    return fallback;
  }

  private choice(name: string, raw: string, s: SettingSchema): unknown {
    if (s.enum!.includes(raw)) return raw;
    this.problems.push(`${name} must be one of ${s.enum!.join(', ')} (got ${JSON.stringify(raw)})`);
    return s.default;
  }

  private postgresUrl(name: string, raw: string): string | undefined {
    if (/^postgres(ql)?:\/\//.test(raw)) return raw;
    this.problems.push(`${name} must be a postgres:// or postgresql:// URL`);
    return undefined;
  }

  private hexKey(name: string, raw: string): string | undefined {
    if (/^[0-9a-fA-F]{64}$/.test(raw)) return raw;
    this.problems.push(`${name} must be 64 hex digits (32 bytes; e.g. openssl rand -hex 32)`);
    return undefined;
  }

  /** false, true, a hop count, or comma-separated addresses/CIDRs. */
  private trustProxy(name: string, raw: string): boolean | number | string {
    if (FALSE_TEXT.test(raw)) return false;
    if (/^(true|yes|on)$/i.test(raw)) return true; // not 1: that is a hop count
    if (/^\d{1,2}$/.test(raw)) return Number(raw);
    if (/^[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*$/.test(raw)) return raw;
    this.problems.push(`${name} must be true, false, a hop count or comma-separated addresses/CIDRs (got ${JSON.stringify(raw)})`);
    return false;
  }

  /** NAME, or the contents of the file named by NAME_FILE (Docker/Kubernetes secrets), never both. */
  private secret(name: string): string | undefined {
    const file = this.optional(`${name}_FILE`);
    if (file === undefined) return this.optional(name);
    if (this.optional(name) !== undefined) {
      this.problems.push(`set ${name} or ${name}_FILE, not both`);
      return undefined;
    }
    try {
      return readFileSync(file, 'utf8').trim() || undefined;
    } catch (error) {
      this.problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }
}
