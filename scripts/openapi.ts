/**
 * npm run openapi: writes docs/openapi.json, the document the app serves at /openapi.json.
 * Options: --check (write nothing; exit 1 when the committed file differs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/db/migrations.js';
import { OPENAPI_PATH, renderOpenApi } from '../tools/openapi/render-openapi.js';

const path = join(projectRoot, OPENAPI_PATH);
const rendered = await renderOpenApi();
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(path, 'utf8'); } catch { /* missing counts as stale */ }
  if (current !== rendered) {
    console.error(`${OPENAPI_PATH} is stale: run npm run openapi and commit the result`);
    process.exit(1);
  }
  console.log(`${OPENAPI_PATH} is up to date`);
} else {
  writeFileSync(path, rendered);
  console.log(`wrote ${OPENAPI_PATH}`);
}
