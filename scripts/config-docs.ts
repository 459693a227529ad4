/**
 * npm run docs:config: writes docs/configuration.md from the configuration schema (src/config/)
 * and the knob list (tools/config-docs/dev-knobs.ts).
 * Options: --check (write nothing; exit 1 when the committed file differs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/db/migrations.js';
import { CONFIG_DOCS_PATH, renderConfigDocs } from '../tools/config-docs/render-config-docs.js';

const path = join(projectRoot, CONFIG_DOCS_PATH);
const rendered = renderConfigDocs();
if (process.argv.includes('--check')) {
  const current = readFileSync(path, 'utf8');
  if (current !== rendered) {
    console.error(`${CONFIG_DOCS_PATH} is stale: run npm run docs:config and commit the result`);
    process.exit(1);
  }
  console.log(`${CONFIG_DOCS_PATH} is up to date`);
} else {
  writeFileSync(path, rendered);
  console.log(`wrote ${CONFIG_DOCS_PATH}`);
}
