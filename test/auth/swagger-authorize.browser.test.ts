/**
 * Swagger UI's Authorize button with the bearer scheme, in Chromium: without a key "Try it out"
 * gets 401; after Authorize with the key the same call creates a wallet (200).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authRequired, useTestApp } from '../support/test-app.js';


const t = useTestApp();
let base: string;
let context: BrowserContext | undefined;
let profileDir: string;

beforeAll(async () => {
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  profileDir = mkdtempSync(join(tmpdir(), 'wallet-chromium-'));
});

afterAll(async () => {
  await context?.close();
  rmSync(profileDir, { recursive: true, force: true });
});

/** Expands "POST /api/v1/wallets", presses Try it out and Execute, and returns the status shown. */
async function createWalletFromDocs(page: Page): Promise<string> {
  const block = page.locator('.opblock-post').filter({ has: page.locator('.opblock-summary-path', { hasText: /^\/api\/v1\/wallets$/ }) });
  if (!(await block.locator('.try-out__btn').isVisible())) await block.locator('.opblock-summary').click();
  const tryOut = block.locator('.try-out__btn');
  if ((await tryOut.innerText()).includes('Try it out')) await tryOut.click();
  await block.locator('.execute').click();
  const status = block.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ state: 'visible', timeout: 15_000 });
  const text = (await status.innerText()).trim();
  await block.locator('.btn-clear').click().catch(() => undefined);
  return text;
}

describe.skipIf(!authRequired)('Swagger UI Authorize', () => {
  it('sends the bearer key it was given: 401 before, 200 after', async () => {
    context = await launchChromium(profileDir);
    const page = await context.newPage();
    await page.goto(`${base}/docs`, { waitUntil: 'load' });
    await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 15_000 });
    expect(await createWalletFromDocs(page)).toBe('401');

    await page.locator('.auth-wrapper .authorize').click();
    const dialog = page.locator('.auth-container').filter({ hasText: 'bearerAuth' });
    await dialog.locator('input').fill(t.key!.key);
    await dialog.locator('button.authorize').click();
    await page.locator('.btn-done, .close-modal').first().click();
    expect(await createWalletFromDocs(page)).toBe('200');
    await page.close();
  });
});
