/**
 * Every environment variable read outside the service's schema is listed, once, in
 * tools/config-docs/dev-knobs.ts (and so in docs/configuration.md), in the folders that read it.
 * Reads are found by their usual shapes: `process.env.NAME`, `env.NAME`, `env['NAME']`, and the
 * tools' `int(env, 'NAME', ...)` helpers; a variable read some other way is not seen.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECTIONS } from '../../src/config/config-schema.js';
import { settingOf } from '../../src/config/setting.js';
import { projectRoot } from '../../src/db/migrations.js';
import { DEV_KNOBS, NOT_KNOBS } from '../../tools/config-docs/dev-knobs.js';

const SCANNED = ['src', 'test', 'bench', 'faults', 'tools', 'scripts', 'vitest.config.ts'];
/** The schema's own reader, and result folders that hold data, not code. */
const SKIPPED = new Set(['src/config', 'bench/results', 'bench/runs', 'faults/results', 'faults/runs', 'test/config/dev-knobs.test.ts']);
const READS = [
  /\benv\.([A-Z][A-Z0-9_]*)/g,
  /\benv\[['"`]([A-Z][A-Z0-9_]*)['"`]\]/g,
  /\b(?:int|bool|string|optional)\((?:env,\s*)?['"]([A-Z][A-Z0-9_]*)['"]/g,
];

function sourceFiles(path: string): string[] {
  const rel = relative(projectRoot, path);
  if (SKIPPED.has(rel)) return [];
  const entries = readdirSync(path, { withFileTypes: true, recursive: false });
  return entries.flatMap((entry) => {
    const child = join(path, entry.name);
    if (entry.isDirectory()) return sourceFiles(child);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !SKIPPED.has(relative(projectRoot, child)) ? [child] : [];
  });
}

/** Variable name → the scanned folders (first path segment) that read it. */
function variablesRead(): Map<string, Set<string>> {
  const read = new Map<string, Set<string>>();
  for (const top of SCANNED) {
    const root = join(projectRoot, top);
    const files = top.endsWith('.ts') ? [root] : sourceFiles(root);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of READS) {
        for (const match of text.matchAll(pattern)) {
          const name = match[1]!;
          read.set(name, (read.get(name) ?? new Set()).add(top));
        }
      }
    }
  }
  return read;
}

const schemaNames = new Set(SECTIONS.flatMap((section) => Object.values(section.settings).map((schema) => settingOf(schema)!.env)));
const FIX = 'list it in DEV_KNOBS (tools/config-docs/dev-knobs.ts), then run `npm run docs:config`';

describe('test, bench, tool and fault knobs', () => {
  const read = variablesRead();

  it('lists every variable read outside the schema', () => {
    const listed = new Set([...DEV_KNOBS.map((knob) => knob.env), ...NOT_KNOBS, ...schemaNames]);
    const missing = [...read.keys()].filter((name) => !listed.has(name)).map((name) => `${name} (${[...read.get(name)!].join(', ')})`);
    expect(missing, `read but not listed: ${FIX}`).toEqual([]);
  });

  it('lists each knob once, with the folders that read it', () => {
    const names = DEV_KNOBS.map((knob) => knob.env);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    const wrong = DEV_KNOBS
      .map((knob) => ({ env: knob.env, listed: [...knob.readIn].sort(), actual: [...(read.get(knob.env) ?? [])].sort() }))
      .filter((knob) => knob.listed.join() !== knob.actual.join());
    expect(wrong, `correct readIn (or remove a knob nothing reads) in tools/config-docs/dev-knobs.ts, then run \`npm run docs:config\``).toEqual([]);
  });
});
