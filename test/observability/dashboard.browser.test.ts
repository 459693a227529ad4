/**
 * The /dashboard page in a real browser: Debian's Chromium driven by playwright-core, against
 * the app on a real port under a short load. Asserts that every chart has drawn data and saves
 * the screenshot the README shows (docs/dashboard.png).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { useTestApp } from '../support/test-app.js';

// The README's picture is refreshed on request (UPDATE_SCREENSHOT=1); ordinary runs write under
// coverage/ so that `npm test` leaves the tree clean.
const screenshotPath = process.env.UPDATE_SCREENSHOT === '1'
  ? join(projectRoot, 'docs', 'dashboard.png')
  : join(projectRoot, 'coverage', 'dashboard.png');

const t = useTestApp({ dashboardIntervalMs: 500, poolSizeMax: 8 });
let base: string;
let context: BrowserContext | undefined;
let profileDir: string;

beforeAll(async () => {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  profileDir = mkdtempSync(join(tmpdir(), 'wallet-chromium-'));
});

afterAll(async () => {
  await context?.close();
  rmSync(profileDir, { recursive: true, force: true });
});

async function post(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: body === undefined ? { ...t.authHeaders, ...headers } : { 'content-type': 'application/json', ...t.authHeaders, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Real HTTP traffic over a few wallets (one hot), with some refusals and some bad requests. */
async function load(stop: { done: boolean }): Promise<void> {
  const wallets: string[] = [];
  for (let i = 0; i < 6; i++) wallets.push(((await post('/api/v1/wallets')).json as { id: string }).id);
  let n = 0;
  while (!stop.done && n < 20_000) {
    const batch = Array.from({ length: 16 }, () => {
      n++;
      const wallet = wallets[n % 3 === 0 ? 0 : n % wallets.length]!; // wallet 0 is the hot one
      if (n % 25 === 0) return post(`/api/v1/wallets/${wallet}/operation`, { operation_type: 'WITHDRAW', amount: '999999.00' });
      if (n % 40 === 0) return post(`/api/v1/wallets/${wallet}/operation`, { operation_type: 'DEPOSIT', amount: '-1' });
      return post(`/api/v1/wallets/${wallet}/operation`, { operation_type: n % 4 === 1 ? 'WITHDRAW' : 'DEPOSIT', amount: '1.00' });
    });
    await Promise.all(batch);
    await fetch(`${base}/api/v1/wallets/${wallets[n % wallets.length]}/operations?limit=20`, { headers: t.authHeaders });
  }
}

// Skipped only outside CI when Chromium is not installed (apt-get install chromium).
describe.skipIf(!existsSync(chromiumPath) && !process.env.CI)('/dashboard in Chromium', () => {
  it('renders every chart with data after a short load, and saves a screenshot', async () => {
    const stop = { done: false };
    const traffic = load(stop);
    try {
      context = await launchChromium(profileDir, { viewport: { width: 1400, height: 1050 } });
      const page = context.pages()[0] ?? await context.newPage();
      const failures: string[] = [];
      page.on('pageerror', (error) => failures.push(error.message));
      page.on('requestfailed', (request) => failures.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));
      await page.goto(`${base}/dashboard`);
      // Without a key the page loads but its data is refused (in the open mode too: /dashboard/data
      // needs an operator key there as well): it asks for one.
      await page.waitForFunction(() => !(document.getElementById('key-form') as HTMLFormElement).hidden, undefined, { timeout: 10_000 });
      expect(await page.locator('#status').textContent()).toContain('API key');
      await page.fill('#key-input', t.operatorKey.key);
      await page.click('#key-form button');
      const charts = ['chart-requests', 'chart-latency', 'chart-errors', 'chart-operations', 'chart-retries', 'chart-pool'];
      for (const id of charts) {
        // data-points counts the non-null values the page handed to uPlot.
        await page.waitForFunction((sel) => Number(document.getElementById(sel)?.dataset.points ?? 0) >= 6, id, { timeout: 30_000 });
        expect(await page.locator(`#${id} canvas`).count(), id).toBe(1);
      }
      await page.waitForFunction(() => Number(document.getElementById('busiest')?.dataset.points ?? 0) > 0, undefined, { timeout: 10_000 });
      expect(await page.locator('#busiest-rows tr').count()).toBeGreaterThan(0);
      expect(await page.locator('#status').textContent()).toMatch(/^updated /);
      // Legends name their series without hovering (a live legend shows "--" until the cursor is over a plot).
      const legends = await page.locator('.u-legend').allTextContents();
      expect(legends.length).toBeGreaterThanOrEqual(charts.length);
      for (const text of legends) expect(text).not.toContain('--');
      // The batch chart has data once the group-commit engine reports batches.
      expect(Number(await page.locator('#chart-batches').getAttribute('data-points'))).toBeGreaterThan(0);
      // Let a few more refreshes land so the screenshot shows lines, not single points.
      const refreshed = Number(await page.evaluate(() => document.body.dataset.refreshed));
      await page.waitForFunction((n) => Number(document.body.dataset.refreshed) >= n + 2, refreshed, { timeout: 15_000 });
      mkdirSync(dirname(screenshotPath), { recursive: true });
      await page.screenshot({ path: screenshotPath, fullPage: true });
      expect(failures).toEqual([]);
    } finally {
      stop.done = true;
      await traffic;
    }
  });
});
