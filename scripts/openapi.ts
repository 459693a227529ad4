/**
 * npm run openapi: writes docs/openapi.json, the document the app serves at /openapi.json, and the
 * TypeScript client's types generated from it (clients/typescript/src/schema.ts).
 * Options: --check (write nothing; exit 1 when a committed file differs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/db/migrations.js';
import { CLIENT_TYPES_PATH, OPENAPI_PATH, renderClientTypes, renderOpenApi } from '../tools/openapi/render-openapi.js';

const document = await renderOpenApi();
const files = [[OPENAPI_PATH, document], [CLIENT_TYPES_PATH, await renderClientTypes(document)]] as const;
const check = process.argv.includes('--check');
let stale = false;
for (const [file, rendered] of files) {
  const path = join(projectRoot, file);
  if (check) {
    let current = '';
    try { current = readFileSync(path, 'utf8'); } catch { /* missing counts as stale */ }
    if (current !== rendered) {
      console.error(`${file} is stale: run npm run openapi and commit the result`);
      stale = true;
    } else console.log(`${file} is up to date`);
  } else {
    writeFileSync(path, rendered);
    console.log(`wrote ${file}`);
  }
}
if (stale) process.exit(1);
