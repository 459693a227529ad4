/**
 * /docs in a real browser, reached over plain HTTP by an address other than localhost (127.0.0.2,
 * as through a load balancer or a container name): Swagger UI must render the operations. With
 * the UI plugin's own static policy (`upgrade-insecure-requests`) the browser fetched the
 * scripts over https and the page stayed blank (issue 15, bug 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../support/test-app.js';

const host = '127.0.0.2';
const hostName = 'wallet.test';

const t = useTestApp();
let base: string;
let context: BrowserContext | undefined;
let profileDir: string;

beforeAll(async () => {
  await t.app.listen({ host, port: 0 });
  const address = t.app.server.address();
  base = `http://${host}:${typeof address === 'object' && address ? address.port : 0}`;
  profileDir = mkdtempSync(join(tmpdir(), 'wallet-chromium-'));
});

afterAll(async () => {
  await context?.close();
  rmSync(profileDir, { recursive: true, force: true });
});

describe('/docs over plain HTTP on a non-localhost address', () => {
  it('sends a strict policy without upgrade-insecure-requests', async () => {
    const res = await fetch(`${base}/docs/`);
    expect(res.status).toBe(200);
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).not.toMatch(/upgrade-insecure-requests/);
    for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
      expect(policy).toContain(directive);
    }
    expect(policy).not.toMatch(/https:|\*/);
  });

  it('renders every operation in Chromium, by address and by a host name, with no policy violation and no request leaving the service', async () => {
    context = await launchChromium(profileDir, {
      // A plain host name, as behind a load balancer: unlike 127.0.0.0/8 it is not a "potentially
      // trustworthy" origin, so an upgrade-insecure-requests policy would send the scripts to https.
      extraArgs: [`--host-resolver-rules=MAP ${hostName} ${host}`],
    });
    const port = new URL(base).port;
    for (const origin of [`http://${hostName}:${port}`, base]) {
      const seen = await openDocs(context, origin);
      expect(seen.paths, origin).toEqual(expect.arrayContaining([
        '/api/v1/wallets', '/api/v1/wallets/{wallet_id}', '/api/v1/wallets/{wallet_id}/operation',
      ]));
      expect(seen.title, origin).toContain('wallet-service');
      expect(seen.problems.join('\n'), origin).toBe('');
      expect(seen.elsewhere, origin).toEqual([]);
    }
  }, 150_000);
});

async function openDocs(browser: BrowserContext, origin: string): Promise<{ paths: string[]; title: string; problems: string[]; elsewhere: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const elsewhere: string[] = [];
  page.on('console', (message) => {
    // Chromium reports that it ignores Cross-Origin-Opener-Policy on an http origin other than
    // localhost; the header is kept for deployments that end TLS in front of the service.
    if (message.type() === 'error' && !message.text().startsWith('The Cross-Origin-Opener-Policy header has been ignored')) {
      problems.push(message.text());
    }
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('request', (request) => { if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) elsewhere.push(request.url()); });
  try {
    await page.goto(`${origin}/docs`, { waitUntil: 'load' });
    // Generous: on two shared cores under load, Chromium can take many seconds to start and render.
    await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 45_000 }).catch(() => undefined);
    const paths = (await page.locator('.opblock .opblock-summary-path').allInnerTexts()).map((p) => p.replace(/\u200b/g, '').trim());
    const title = await page.locator('.info .title').innerText({ timeout: 1000 }).catch(() => '');
    return { paths, title, problems, elsewhere };
  } finally {
    await page.close();
  }
}
