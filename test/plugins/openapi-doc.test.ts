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

  it('has an example for every request body, parameter and JSON answer', () => {
    const doc = JSON.parse(readFileSync(join(projectRoot, OPENAPI_PATH), 'utf8')) as {
      paths: Record<string, Record<string, {
        parameters?: { name: string; example?: unknown; examples?: unknown; schema?: { example?: unknown; examples?: unknown } }[];
        requestBody?: { content: Record<string, Example> };
        responses: Record<string, { content?: Record<string, Example> }>;
      }>>;
    };
    type Example = { example?: unknown; examples?: unknown; schema?: { example?: unknown; examples?: unknown } };
    const has = (c: Example | undefined) => c !== undefined &&
      [c.example, c.examples, c.schema?.example, c.schema?.examples].some((e) => e !== undefined);
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (op.requestBody && !has(op.requestBody.content['application/json'])) missing.push(`${where} body`);
        for (const p of op.parameters ?? []) if (!has(p)) missing.push(`${where} parameter ${p.name}`);
        for (const [status, answer] of Object.entries(op.responses)) {
          if (answer.content?.['application/json'] && !has(answer.content['application/json'])) missing.push(`${where} ${status}`);
        }
        if (path === '/health' && !op.responses['200']?.content) missing.push(`${where} 200 (no schema)`);
      }
    }
    expect(missing).toEqual([]);
  });

  it.runIf(authRequired)('is what a running app serves at /openapi.json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(readFileSync(join(projectRoot, OPENAPI_PATH), 'utf8')), stale).toEqual(res.json());
  });
});
