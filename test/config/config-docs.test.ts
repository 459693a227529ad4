/** docs/configuration.md is generated from the schema; CI fails here when it is stale. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { SECTIONS } from '../../src/config/config-schema.js';
import { settingOf } from '../../src/config/setting.js';
import { DEV_KNOBS } from '../../tools/config-docs/dev-knobs.js';
import { CONFIG_DOCS_PATH, renderConfigDocs } from '../../tools/config-docs/render-config-docs.js';

describe(CONFIG_DOCS_PATH, () => {
  it('is what the schema renders', () => {
    const committed = readFileSync(join(projectRoot, CONFIG_DOCS_PATH), 'utf8');
    expect(committed, `${CONFIG_DOCS_PATH} is stale: run \`npm run docs:config\` and commit it (check: \`npm run docs:config -- --check\`)`)
      .toBe(renderConfigDocs());
  });

  it('has a row for every setting and every knob', () => {
    const docs = renderConfigDocs();
    const names = [...SECTIONS.flatMap((section) => Object.values(section.settings).map((schema) => settingOf(schema)?.env)),
      ...DEV_KNOBS.map((knob) => knob.env)];
    expect(names.filter((name) => !docs.includes(`\n| \`${name}\` |`))).toEqual([]);
    expect(docs).toContain('| `GROUP_COMMIT_MAX_WAIT_US` | integer | 1000 µs (1 ms) | 0 to 100000 µs |');
  });
});
