import type { TProperties } from 'typebox';

/**
 * A table of docs/configuration.md: settings that belong together. `group` is the key of `Config`
 * they nest under (`config.http.headersTimeoutMs`); without it they sit at the top level.
 */
export interface Section<P extends TProperties = TProperties> {
  title: string;
  /** One or two sentences above the table: what the settings share, where the design is explained. */
  intro: string;
  group?: string;
  settings: P;
}

/** Keeps the exact type of `settings`, so `Config` is derived from them. */
export function section<const P extends TProperties>(s: Section<P>): Section<P> {
  return s;
}
