/**
 * Debian's Chromium driven by playwright-core, for the console's browser tests and bench: one
 * headless browser with a fresh profile, no network beyond what the page asks for. Tests that
 * need it skip with a reason when `/usr/bin/chromium` is missing (CI installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM = process.env.AUCTOR_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set AUCTOR_CHROMIUM)`;
}

/** Where tests and benches save screenshots (gitignored). */
export const SCREENSHOTS = fileURLToPath(new URL('../../../test-output/console/', import.meta.url));

export interface HeadlessBrowser {
  browser: Browser;
  /** A new page (its own context: its own sessionStorage) that records the page's errors. */
  page(viewport?: { width: number; height: number }): Promise<Page & { errors: string[] }>;
  /** Saves a screenshot of `page` as `<name>.png` under SCREENSHOTS; returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<HeadlessBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'auctor-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const browser = context.browser();
  // a persistent context has no Browser object of its own: fresh pages come from new contexts of the same process
  const newContext = async (viewport: { width: number; height: number }) => (browser ? browser.newContext({ viewport }) : context);
  const opened: Array<{ close(): Promise<void> }> = [];
  return {
    browser: browser as Browser,
    async page(viewport = { width: 1400, height: 900 }) {
      const ctx = await newContext(viewport);
      if (ctx !== context) opened.push(ctx);
      const page = (await ctx.newPage()) as Page & { errors: string[] };
      page.errors = [];
      page.on('pageerror', (error) => page.errors.push(error.message));
      page.on('console', (message: ConsoleMessage) => {
        if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) page.errors.push(message.text());
      });
      return page;
    },
    async screenshot(page, name) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      for (const ctx of opened) await ctx.close().catch(() => undefined);
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
