/**
 * Debian's Chromium for the browser tests, driven by playwright-core (never a downloaded browser),
 * with the flags this machine needs: its closed network refuses Chromium's background traffic.
 */
import { chromium, type BrowserContext } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium with its own profile directory; `extraArgs` add to the flags above. */
export function launchChromium(profileDir: string, options: { extraArgs?: string[]; viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [...args, ...(options.extraArgs ?? [])],
    ...(options.viewport ? { viewport: options.viewport } : {}),
  });
}
