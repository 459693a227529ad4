/**
 * The constructors a setting is declared with. Each returns a TypeBox schema (so `Config`'s type is
 * `Static<typeof ConfigSchema>` and the loaded object can be checked against it) that also carries,
 * under SETTING, what the loader and the generated docs/configuration.md need: the variable's name,
 * how its text is parsed, its unit and one line of meaning. Bounds and defaults are the schema's own
 * `minimum`, `maximum` and `default`, so each is written once.
 */
import { Type, type TSchema } from 'typebox';

/** The schema key under which a setting keeps its description (a JSON Schema extension keyword). */
export const SETTING = 'x-setting';

/** How the variable's text is read; each kind has one parser in read-setting.ts. */
export type SettingKind = 'integer' | 'boolean' | 'string' | 'file' | 'choice' | 'postgres-url' | 'hex-key' | 'trust-proxy';

export interface SettingMeta {
  /** The environment variable. */
  env: string;
  kind: SettingKind;
  /** One line: what the setting does (rendered into docs/configuration.md). */
  meaning: string;
  /** Unit of an integer (`ms`, `bytes`, ...); units in names too (TIGER_STYLE), a test keeps them agreeing. */
  unit?: string;
  /** Also read from the file named by `<env>_FILE` (Docker/Kubernetes secrets), never both. */
  fromFile?: boolean;
  /** When unset, the value comes from other settings: how the docs say it, and how the loader computes it. */
  derived?: DerivedDefault;
}

/** A default computed from settings read before it (by variable name), e.g. a path beside another. */
export interface DerivedDefault {
  text: string;
  from: (settings: ReadonlyMap<string, unknown>) => unknown;
}

interface Described {
  meaning: string;
}

/** The description of `schema`, or undefined when it is a group (a plain Type.Object). */
export function settingOf(schema: TSchema): SettingMeta | undefined {
  return (schema as Record<string, unknown>)[SETTING] as SettingMeta | undefined;
}

function meta(env: string, kind: SettingKind, rest: Omit<SettingMeta, 'env' | 'kind'>): Record<string, SettingMeta> {
  return { [SETTING]: { env, kind, ...rest } };
}

/** A whole number within [min, max]; the text must be plain digits. */
export function integer(env: string, o: Described & { default: number; min: number; max: number; unit?: string }) {
  return Type.Integer({ minimum: o.min, maximum: o.max, default: o.default, ...meta(env, 'integer', { meaning: o.meaning, unit: o.unit }) });
}

/** 1, true, yes, on / 0, false, no, off (any case). */
export function boolean(env: string, o: Described & { default: boolean }) {
  return Type.Boolean({ default: o.default, ...meta(env, 'boolean', { meaning: o.meaning }) });
}

/** Any non-empty text; an empty variable counts as unset. */
export function text(env: string, o: Described & { default: string }) {
  return Type.String({ default: o.default, ...meta(env, 'string', { meaning: o.meaning }) });
}

/** The path of a file that turns a feature on; unset by default (whether it can be read is checked where it is read). */
export function filePath(env: string, o: Described) {
  return Type.Union([Type.String(), Type.Undefined()], meta(env, 'file', { meaning: o.meaning }));
}

/** Text whose default is computed from settings read before it. */
export function derivedText(env: string, o: Described & { derived: DerivedDefault }) {
  return Type.String(meta(env, 'string', { meaning: o.meaning, derived: o.derived }));
}

/** One of a fixed list of words. */
export function choice<const T extends readonly [string, ...string[]]>(env: string, o: Described & { values: T; default: T[number] }) {
  return Type.Enum(o.values, { default: o.default, ...meta(env, 'choice', { meaning: o.meaning }) });
}

/** A postgres:// or postgresql:// URL, or `<env>_FILE`; unset unless `derived` says otherwise. */
export function postgresUrl(env: string, o: Described & { derived?: DerivedDefault }) {
  const options = meta(env, 'postgres-url', { meaning: o.meaning, fromFile: true, derived: o.derived });
  return Type.Union([Type.String({ pattern: '^postgres(ql)?://' }), Type.Undefined()], options);
}

/** 32 bytes as 64 hex digits, or `<env>_FILE`; unset by default. */
export function hexKey(env: string, o: Described) {
  const options = meta(env, 'hex-key', { meaning: o.meaning, fromFile: true });
  return Type.Union([Type.String({ pattern: '^[0-9a-fA-F]{64}$' }), Type.Undefined()], options);
}

/** Fastify's trustProxy: false, true, a hop count, or comma-separated addresses/CIDRs. */
export function trustProxy(env: string, o: Described) {
  const options = { default: false, ...meta(env, 'trust-proxy', { meaning: o.meaning }) };
  return Type.Union([Type.Boolean(), Type.Integer({ minimum: 0, maximum: 99 }), Type.String()], options);
}
