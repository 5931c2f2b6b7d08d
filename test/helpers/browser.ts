/**
 * Headless Chromium from Debian's package, driven by playwright-core: a fresh profile per
 * launch (playwright makes a temporary one and removes it), and the flags that keep it off the network (this machine's network is closed; a
 * browser that phones home fails slowly). Screenshots go to artifacts/<suite>/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './paths.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

export async function screenshot(page: Page, suite: string, name: string): Promise<string> {
  const dir = join(repoRoot, 'artifacts', suite);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
