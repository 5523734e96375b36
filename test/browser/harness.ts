/**
 * Real-browser harness: Debian's chromium driven by playwright-core, against the example started
 * in-process on port 0. Without chromium the browser tests skip with a loud warning, unless
 * REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REQUIRED = process.env.REQUIRE_BROWSER === '1';

/** True when the browser tests can run; throws when they must run and cannot. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (REQUIRED) {
    throw new Error(`REQUIRE_BROWSER=1 but no chromium at ${CHROMIUM_PATH} (install the "chromium" package or set CHROMIUM_PATH).`);
  }
  console.warn(
    `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!! BROWSER TESTS SKIPPED: no chromium at ${CHROMIUM_PATH}.\n` +
      `!! Install it (apt-get install chromium) or set CHROMIUM_PATH; CI sets REQUIRE_BROWSER=1.\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  );
  return false;
}

/**
 * Playwright gives every `launch()` its own fresh temporary profile (user-data-dir) and removes it on
 * close, so no state leaks between runs; the flags keep chromium quiet and offline apart from our server.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh browser profile (cookies and all), as a new person or a new phone would be. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Screenshots land here (git-ignored). */
export const OUTPUT_DIR = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  await page.screenshot({ path: `${OUTPUT_DIR}${name}.png`, fullPage: true });
}

/** Password step, as a person does it on the login page. */
export async function logInWithPassword(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The text a person reads on the page. */
export async function visibleText(page: Page): Promise<string> {
  return page.locator('body').innerText();
}
