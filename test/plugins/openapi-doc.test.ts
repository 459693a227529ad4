/**
 * docs/openapi.json (written by `npm run openapi`) is what the app serves, and the TypeScript
 * client's generated types are what that document gives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { CLIENT_TYPES_PATH, OPENAPI_PATH, renderClientTypes, renderOpenApi } from '../../tools/openapi/render-openapi.js';
import { authRequired, useTestApp } from '../support/test-app.js';

const t = useTestApp();
const stale = `${OPENAPI_PATH} is stale: run \`npm run openapi\` and commit it (check: \`npm run openapi -- --check\`)`;

describe(OPENAPI_PATH, () => {
  it('is what npm run openapi renders, and so are the client\'s types', async () => {
    const document = await renderOpenApi();
    expect(readFileSync(join(projectRoot, OPENAPI_PATH), 'utf8'), stale).toBe(document);
    expect(readFileSync(join(projectRoot, CLIENT_TYPES_PATH), 'utf8'), stale.replace(OPENAPI_PATH, CLIENT_TYPES_PATH))
      .toBe(await renderClientTypes(document));
  });

  it.runIf(authRequired)('is what a running app serves at /openapi.json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(readFileSync(join(projectRoot, OPENAPI_PATH), 'utf8')), stale).toEqual(res.json());
  });
});
