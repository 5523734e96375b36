/**
 * A person using the example in Chromium: password, waiting page, the phone (device simulator in a
 * second browser profile), the account page. Each test reads what is on screen and where it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createExampleApp, type ExampleOptions, type RunningExample } from '../../example/app.js';
import { browserAvailable, launchBrowser, logInWithPassword, newContext, screenshot, visibleText } from './harness.js';

const ALICE = { username: 'alice', password: 'correct-horse' };

describe.skipIf(!browserAvailable())('example in a real browser', () => {
  let browser: Browser;
  const apps: RunningExample[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await browser?.close();
  });

  /** A fresh example per test: its own emulator, users, phones and rate-limit counters. */
  async function startApp(options: ExampleOptions = {}): Promise<RunningExample> {
    const app = await createExampleApp({ port: 0, ...options });
    apps.push(app);
    return app;
  }

  /** The phone: the device simulator in its own browser profile. */
  async function openPhone(app: RunningExample): Promise<Page> {
    const phone = await (await newContext(browser)).newPage();
    await phone.goto(`${app.url}/device`);
    return phone;
  }

  async function waitingPage(app: RunningExample): Promise<Page> {
    const page = await (await newContext(browser)).newPage();
    await logInWithPassword(page, app.url, ALICE.username, ALICE.password);
    await page.waitForURL(`${app.url}/login/push/wait`);
    await page.getByRole('heading', { name: 'Check your phone' }).waitFor();
    return page;
  }

  it('password, then approve on the phone, lands on the account page', async () => {
    const example = await startApp();
    const page = await waitingPage(example);
    const text = await visibleText(page);
    expect(text).toContain('Approve sign-in to the Verify Push example?');
    expect(text).toMatch(/Expires in \d:\d\d/);
    await page.getByText('live (server-sent events)').waitFor();
    // Only the password is done: the header must not present alice as signed in.
    const header = page.locator('header');
    expect(await header.innerText()).toContain('Password done, waiting for your phone');
    expect(await header.innerText()).not.toMatch(/Signed in|alice|Log out/);
    await screenshot(page, 'waiting-page');

    const phone = await openPhone(example);
    await phone.getByText('Approve sign-in to the Verify Push example?').waitFor();
    expect(await visibleText(phone)).toContain("Alice Example's phone");
    await screenshot(phone, 'device-page');
    await phone.getByRole('button', { name: 'Approve' }).click();

    await page.waitForURL(`${example.url}/account`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Welcome, Alice Example');
    expect(await visibleText(page)).toContain('Signed in with your password and approved on your phone.');
    expect(await header.innerText()).toContain('Signed in as alice');
    await page.context().close();
    await phone.context().close();
  });

  it('the phone shows the newest request to answer and marks older ones as replaced', async () => {
    const example = await startApp();
    const first = await waitingPage(example);
    // Signing in again (another tab, another device): the new request replaces the first one.
    const second = await waitingPage(example);
    await first.getByText('A newer sign-in request replaced this one.').waitFor();

    const phone = await openPhone(example);
    const cards = phone.locator('.push');
    await expect.poll(() => cards.count()).toBe(2);
    // Newest first, as the Verify app shows them: the request on top is the one to answer.
    await expect.poll(() => cards.first().getAttribute('class')).toBe('push current');
    const older = cards.nth(1);
    expect(await older.getAttribute('class')).toBe('push replaced');
    expect(await older.innerText()).toContain('Replaced by a newer request');
    expect(await older.getByRole('button').count()).toBe(0);
    expect(await phone.getByRole('button', { name: 'Approve' }).count()).toBe(1);
    await screenshot(phone, 'device-page-replaced');

    await cards.first().getByRole('button', { name: 'Approve' }).click();
    await second.waitForURL(`${example.url}/account`);
    expect(new URL(first.url()).pathname).toBe('/login/push/wait');
    await first.context().close();
    await second.context().close();
    await phone.context().close();
  });

  it('deny on the phone shows a clear message and a way to try again', async () => {
    const example = await startApp();
    const page = await waitingPage(example);
    const phone = await openPhone(example);
    await phone.getByRole('button', { name: 'Deny' }).click();
    // The phone says the sign-in was refused, and does not dress it as a success.
    const result = phone.getByRole('status');
    await result.getByText('Denied. Nothing goes through.').waitFor();
    expect(await result.getAttribute('class')).toBe('denied');
    await screenshot(phone, 'device-page-denied');

    await page.getByText('You denied this sign-in on your phone.').waitFor();
    expect(page.url()).toBe(`${example.url}/login/push/wait`);
    await screenshot(page, 'waiting-page-denied');
    // Denied means no way in: the account page sends the person back to the phone, not inside.
    const probe = await page.context().newPage();
    await probe.goto(`${example.url}/account`);
    expect(new URL(probe.url()).pathname).not.toBe('/account');

    await page.getByRole('button', { name: 'Send a new request' }).click();
    await page.waitForURL(`${example.url}/login/push/wait`);
    await page.getByRole('heading', { name: 'Check your phone' }).waitFor();
    await phone.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${example.url}/account`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Welcome, Alice Example');
    await page.context().close();
    await phone.context().close();
  });

  it('logging out means the next login needs a new push', async () => {
    const example = await startApp();
    const page = await waitingPage(example);
    const phone = await openPhone(example);
    await phone.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${example.url}/account`);

    await page.getByRole('button', { name: 'Log out' }).first().click();
    await page.waitForURL(`${example.url}/`);
    expect(await visibleText(page)).toContain('Log in');
    await page.goto(`${example.url}/account`);
    expect(new URL(page.url()).pathname).toBe('/login');

    await logInWithPassword(page, example.url, ALICE.username, ALICE.password);
    await page.waitForURL(`${example.url}/login/push/wait`);
    expect(await visibleText(page)).toContain('Check your phone');
    await page.goto(`${example.url}/account`);
    // Still only the password: the gate keeps the account page closed until the phone approves.
    expect(new URL(page.url()).pathname).toBe('/login/push/wait');
    await page.context().close();
    await phone.context().close();
  });

  it('"log in on this device" signs in silently with the transaction id, replacing the browser\'s request', async () => {
    const example = await startApp();
    const page = await waitingPage(example);
    const phone = await openPhone(example);
    await phone.getByLabel('Password for alice').fill(ALICE.password);
    await phone.getByRole('button', { name: 'Log in on this device' }).click();
    await phone.getByText('Signed in on this device as Alice Example, approved silently.').waitFor();
    // One pending request per user: the phone's own login replaced the browser's, and the page says so.
    await page.getByText('A newer sign-in request replaced this one.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login/push/wait');
    // Only the request carrying the app's transaction id was approved: the browser's own request (which
    // Twilio cannot cancel) is still pending, shown as replaced by the newer one, with nothing to answer.
    await expect.poll(() => phone.locator('.push.replaced').count()).toBe(1);
    expect(await phone.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await page.context().close();
    await phone.context().close();
  });

  it('a wrong password on the phone is refused and nothing is approved', async () => {
    const example = await startApp();
    const page = await waitingPage(example);
    const phone = await openPhone(example);
    await phone.getByLabel('Password for alice').fill('not-the-password');
    await phone.getByRole('button', { name: 'Log in on this device' }).click();
    await phone.getByText('Wrong password.').waitFor();
    expect(await visibleText(page)).toContain('Check your phone');
    await page.context().close();
    await phone.context().close();
  });

  it('a user without a phone enrols the simulated phone, then signs in with it', async () => {
    const example = await startApp();
    const page = await (await newContext(browser)).newPage();
    await logInWithPassword(page, example.url, 'bob', 'battery-staple');
    await page.waitForURL(`${example.url}/enrol`);
    await page.getByRole('button', { name: 'Enrol the simulated phone' }).click();
    await page.getByText("Phone enrolled: bob's simulated phone.").waitFor();
    await page.getByRole('link', { name: 'Continue signing in' }).click();
    await page.waitForURL(`${example.url}/login/push/wait`);

    const phone = await openPhone(example);
    await phone.getByText("bob's simulated phone").waitFor();
    await phone.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${example.url}/account`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Welcome, Bob Example');
    expect(await visibleText(page)).toContain("bob's simulated phone");
    await page.context().close();
    await phone.context().close();
  });

  it('number matching: the phone must enter the code shown on the waiting page', async () => {
    const app = await startApp({ numberMatching: true });
    const page = await waitingPage(app);
    const code = (await page.locator('#match-code').innerText()).trim();
    expect(code).toMatch(/^\d{2}$/);
    expect(await visibleText(page)).toContain('When your phone asks, enter this number:');
    await screenshot(page, 'waiting-page-number-matching');

    const phone = await openPhone(app);
    const input = phone.getByLabel('Enter the number shown on the sign-in screen');
    await input.waitFor();
    // The phone never shows the code itself: only the login screen does.
    expect(await phone.getByText(code, { exact: true }).count()).toBe(0);
    expect(await phone.locator('#match-code').count()).toBe(0);
    await screenshot(phone, 'device-page-number-matching');
    await input.fill(code === '00' ? '01' : '00');
    await phone.getByRole('button', { name: 'Approve' }).click();
    await phone.getByText('That number does not match the sign-in screen. Not approved.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login/push/wait');

    await input.fill(code);
    await phone.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${app.url}/account`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Welcome, Alice Example');
    await page.context().close();
    await phone.context().close();
  });

  it('expiry: when the request runs out the page says so and offers a new one', async () => {
    let offset = 0;
    const app = await startApp({
      clock: () => Date.now() + offset,
      expiresInSeconds: 60,
      // A short heartbeat: the stream re-reads the status on it, which is what notices expiry.
      events: { heartbeatMs: 1000 },
    });
    const page = await waitingPage(app);
    offset += 61_000;
    await page.getByText('The sign-in request expired before your phone answered.').waitFor();
    expect(await page.getByRole('button', { name: 'Send a new request' }).isVisible()).toBe(true);
    await screenshot(page, 'waiting-page-expired');

    await page.getByRole('button', { name: 'Send a new request' }).click();
    await page.getByRole('heading', { name: 'Check your phone' }).waitFor();
    const phone = await openPhone(app);
    await phone.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${app.url}/account`);
    await page.context().close();
    await phone.context().close();
  });

  it('"send it again" is offered after a pause, at most twice, and each one reaches Twilio', async () => {
    const app = await startApp({ resendPauseMs: 300 });
    const page = await waitingPage(app);
    const resend = page.getByRole('button', { name: 'Send it again' });
    for (const left of ['You can ask 1 more time.', 'That was the last resend for this request.']) {
      await resend.click();
      await page.getByText(`Sent again. ${left}`).waitFor();
    }
    await page.waitForTimeout(600);
    expect(await resend.isVisible()).toBe(false);
    expect(app.emulator?.calls({ operation: 'createNotification', source: 'api' })).toHaveLength(2);
    await page.context().close();
  });

  it('long-poll fallback: the page still moves on the moment the phone approves', async () => {
    const app = await startApp({ forceLongPoll: true });
    const page = await waitingPage(app);
    await page.getByText('live (long-poll)').waitFor();
    const phone = await openPhone(app);
    await phone.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${app.url}/account`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Welcome, Alice Example');
    await page.context().close();
    await phone.context().close();
  });
});
