/**
 * When the example asks the phone again after the login, as a person sees it in Chromium: the change-e-mail
 * page behind step-up by age, a payment approved as a transaction (the phone shows amount and payee), device
 * management behind a recent push, and remembered browsers (skipping the login push, never a step-up, ended by
 * "sign out everywhere"). The phone is the device simulator in a browser profile of its own; time moves on the
 * example's clock, which the emulator shares.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createExampleApp, type RunningExample } from '../../example/app.js';
import { browserAvailable, launchBrowser, newContext, screenshot, visibleText } from './harness.js';

const ALICE = { username: 'alice', password: 'correct-horse' };
const REMEMBER_COOKIE = 'verify_push_browser';

interface Example {
  app: RunningExample;
  url: string;
  /** Lets time pass for the app and the emulator. */
  advance(ms: number): void;
  challengesCreated(): number;
}

describe.skipIf(!browserAvailable())('the example asks the phone again when it matters', () => {
  let browser: Browser;
  const apps: RunningExample[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await Promise.all(apps.map((app) => app.close()));
    await browser?.close();
  });

  async function startExample(): Promise<Example> {
    let offset = 0;
    const app = await createExampleApp({ port: 0, clock: () => Date.now() + offset });
    apps.push(app);
    return {
      app,
      url: app.url,
      advance: (ms) => {
        offset += ms;
      },
      challengesCreated: () => app.emulator?.calls({ operation: 'createChallenge', source: 'api' }).length ?? -1,
    };
  }

  async function newPage(): Promise<Page> {
    const context = await newContext(browser);
    contexts.push(context);
    return context.newPage();
  }

  /** The phone: the device simulator in its own browser profile. */
  async function openPhone(example: Example): Promise<Page> {
    const phone = await newPage();
    await phone.goto(`${example.url}/device`);
    return phone;
  }

  async function approveOnPhone(phone: Page, expectedMessage: string): Promise<void> {
    const card = phone.locator('.push.current', { hasText: expectedMessage });
    await card.waitFor();
    await card.getByRole('button', { name: 'Approve' }).click();
    // The phone takes a request off its screen once its answer was accepted.
    await card.waitFor({ state: 'detached' });
  }

  /** The login form, as a person fills it, with or without "Remember this browser". */
  async function submitLogin(page: Page, example: Example, remember = false): Promise<void> {
    await page.goto(`${example.url}/login`);
    await page.getByLabel('Username').fill(ALICE.username);
    await page.getByLabel('Password').fill(ALICE.password);
    if (remember) await page.getByLabel('Remember this browser for 30 days').check();
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  /** Password, then the push approved on the phone: the account page. */
  async function signIn(page: Page, example: Example, phone: Page, remember = false): Promise<void> {
    await submitLogin(page, example, remember);
    await page.waitForURL(`${example.url}/login/push/wait`);
    await approveOnPhone(phone, 'Approve sign-in to the Verify Push example?');
    await page.waitForURL(`${example.url}/account`);
  }

  async function logOut(page: Page, example: Example): Promise<void> {
    await page.goto(`${example.url}/account`);
    await page.getByRole('button', { name: 'Log out' }).first().click();
    await page.waitForURL(`${example.url}/`);
  }

  async function rememberCookie(page: Page): Promise<{ httpOnly: boolean; secure: boolean; sameSite: string } | undefined> {
    return (await page.context().cookies()).find((cookie) => cookie.name === REMEMBER_COOKIE);
  }

  it('a session older than the page allows gets a push saying what it is for; approving lands back on the page', async () => {
    const example = await startExample();
    const phone = await openPhone(example);
    const page = await newPage();
    await signIn(page, example, phone);

    // Just signed in: the page opens without asking.
    await page.getByRole('link', { name: 'Change e-mail address' }).click();
    await page.waitForURL(`${example.url}/settings/email`);
    expect(await page.locator('#current-email').innerText()).toBe('alice@example.com');
    const created = example.challengesCreated();

    // A minute later (the example's STEP_UP_MAX_AGE is 60 s) the same page asks the phone first.
    example.advance(61_000);
    await page.goto(`${example.url}/settings/email`);
    await page.waitForURL(`${example.url}/login/push/wait`);
    const waiting = await visibleText(page);
    expect(waiting).toContain('This page needs a recent approval');
    expect(waiting).toContain('Approve changing your e-mail address?');
    expect(waiting).toContain('Change e-mail address');
    // Still signed in meanwhile: the header says so.
    expect(await page.locator('header').innerText()).toContain('Signed in as alice');
    await screenshot(page, 'step-up-waiting');
    expect(example.challengesCreated()).toBe(created + 1);

    const card = phone.locator('.push.current');
    await card.getByText('Approve changing your e-mail address?').waitFor();
    expect(await card.innerText()).toContain('Change e-mail address');
    await approveOnPhone(phone, 'Approve changing your e-mail address?');
    await page.waitForURL(`${example.url}/settings/email`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Change e-mail address');

    await page.getByLabel('New e-mail address').fill('alice.new@example.com');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`${example.url}/account`);
    const account = await visibleText(page);
    expect(account).toContain('Your e-mail address is now alice.new@example.com.');
    expect(account).toContain('Your e-mail address was changed from alice@example.com to alice.new@example.com.');
    // One push for the step-up, none for saving within the minute.
    expect(example.challengesCreated()).toBe(created + 1);

    // Typing for longer than the minute: saving asks the phone, on the page, and saves once approved.
    await page.getByRole('link', { name: 'Change e-mail address' }).click();
    await page.waitForURL(`${example.url}/settings/email`);
    await page.getByLabel('New e-mail address').fill('alice.slow@example.com');
    example.advance(61_000);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#waiting').getByText('Approve changing your e-mail address?').waitFor();
    await approveOnPhone(phone, 'Approve changing your e-mail address?');
    await page.waitForURL(`${example.url}/account`);
    expect(await visibleText(page)).toContain('Your e-mail address is now alice.slow@example.com.');
    expect(example.challengesCreated()).toBe(created + 2);
  });

  it('a denied step-up leaves the page closed, says why, and offers to ask again', async () => {
    const example = await startExample();
    const phone = await openPhone(example);
    const page = await newPage();
    await signIn(page, example, phone);
    example.advance(61_000);
    await page.goto(`${example.url}/settings/email`);
    await page.waitForURL(`${example.url}/login/push/wait`);
    await phone.locator('.push.current', { hasText: 'Approve changing your e-mail address?' }).getByRole('button', { name: 'Deny' }).click();

    await page.waitForURL(`${example.url}/settings/email`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Not approved');
    expect(await visibleText(page)).toContain('You denied this request on your phone.');
    // Still signed in: a denied step-up refuses this page only.
    expect(await page.locator('header').innerText()).toContain('Signed in as alice');
    expect(await page.getByRole('link', { name: 'Back to your account' }).isVisible()).toBe(true);
    // At once, as a quick click would: the link asks for a new push (`askAgain`), so the denial that just
    // ended does not answer it.
    await page.getByRole('link', { name: 'Ask my phone again' }).click();
    await page.waitForURL(`${example.url}/login/push/wait`);
    await approveOnPhone(phone, 'Approve changing your e-mail address?');
    await page.waitForURL(`${example.url}/settings/email?again=1`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Change e-mail address');
  });

  it('send money: the phone shows amount and payee, approving sends it once, and another amount asks again', async () => {
    const example = await startExample();
    const phone = await openPhone(example);
    const page = await newPage();
    await signIn(page, example, phone);
    await page.getByRole('link', { name: 'Send money' }).click();
    await page.waitForURL(`${example.url}/send-money`);

    await page.getByLabel('Amount (EUR)').fill('120');
    await page.getByLabel('Payee').fill('ACME Ltd');
    await page.getByRole('button', { name: 'Send' }).click();
    // The page waits, showing what the phone shows.
    const waiting = page.locator('#waiting');
    await waiting.getByText('Send 120.00 EUR to ACME Ltd?').waitFor();
    expect(await waiting.innerText()).toMatch(/Amount\s+120\.00 EUR/);
    expect(await waiting.innerText()).toMatch(/Payee\s+ACME Ltd/);
    await screenshot(page, 'send-money-waiting');

    const card = phone.locator('.push.current', { hasText: 'Send 120.00 EUR to ACME Ltd?' });
    await card.waitFor();
    expect(await card.innerText()).toMatch(/Amount\s+120\.00 EUR/);
    expect(await card.innerText()).toMatch(/Payee\s+ACME Ltd/);
    await screenshot(phone, 'device-page-payment');
    const created = example.challengesCreated();
    await card.getByRole('button', { name: 'Approve' }).click();

    const result = page.locator('#result');
    await result.getByText('Sent 120.00 EUR to ACME Ltd.').waitFor();
    expect(await result.innerText()).toContain('the approval is now used up');
    expect(await page.locator('#payments li').count()).toBe(1);
    expect(await waiting.isVisible()).toBe(false);

    // The same form with another amount: a new push, and the page says why.
    await page.getByLabel('Amount (EUR)').fill('150.00');
    await page.getByRole('button', { name: 'Send' }).click();
    await waiting.getByText('Send 150.00 EUR to ACME Ltd?').waitFor();
    expect(await page.locator('#why').innerText()).toContain('Your phone approved 120.00 EUR to ACME Ltd, not this');
    expect(example.challengesCreated()).toBe(created + 1);
    // Nothing was sent for 150.00 on the strength of the earlier approval.
    expect(await page.locator('#payments li').count()).toBe(1);
    await approveOnPhone(phone, 'Send 150.00 EUR to ACME Ltd?');
    await result.getByText('Sent 150.00 EUR to ACME Ltd.').waitFor();
    expect(await page.locator('#payments li').count()).toBe(2);
    await screenshot(page, 'send-money-sent');
  });

  it('an approval for one payment never pays another amount, nor the same payment twice', async () => {
    const example = await startExample();
    const phone = await openPhone(example);
    const page = await newPage();
    await signIn(page, example, phone);
    // What the page's script sends, from this browser (its cookies), step by step.
    const send = (amount: string) =>
      page.context().request.post(`${example.url}/send-money`, { data: { amount, payee: 'ACME Ltd' }, headers: { Accept: 'application/json' } });

    expect((await send('120.00')).status()).toBe(202);
    await approveOnPhone(phone, 'Send 120.00 EUR to ACME Ltd?');
    // Approved for 120.00; asking for 9999.00 now is another action: a new push, nothing paid.
    const changed = await send('9999.00');
    expect(changed.status()).toBe(202);
    expect(await changed.json()).toMatchObject({ purpose: 'action', message: 'Send 9999.00 EUR to ACME Ltd?' });
    await approveOnPhone(phone, 'Send 9999.00 EUR to ACME Ltd?');
    const paid = await send('9999.00');
    expect(paid.status()).toBe(200);
    expect(await paid.json()).toMatchObject({ paid: true, payment: { amount: '9999.00', payee: 'ACME Ltd' } });
    // Used once: the same request again asks the phone again.
    expect((await send('9999.00')).status()).toBe(202);
    await page.goto(`${example.url}/send-money`);
    expect(await page.locator('#payments li').count()).toBe(1);
  });

  it('devices are listed, added and removed only after a recent push, and the app tells the user', async () => {
    const example = await startExample();
    const phone = await openPhone(example);
    const page = await newPage();
    await signIn(page, example, phone);
    // Five minutes on, the devices page asks the phone first.
    example.advance(301_000);
    await page.goto(`${example.url}/devices`);
    await page.waitForURL(`${example.url}/login/push/wait`);
    expect(await visibleText(page)).toContain('Approve changing your devices?');
    await approveOnPhone(phone, 'Approve changing your devices?');
    await page.waitForURL(`${example.url}/devices`);
    expect(await page.locator('#devices li').count()).toBe(1);
    expect(await visibleText(page)).toContain("Alice Example's phone");

    // Add a device: the simulated phone enrols with a token minted for alice, within the approval's minutes.
    await page.getByRole('link', { name: 'Add a device' }).click();
    await page.waitForURL(`${example.url}/enrol`);
    await page.getByRole('button', { name: 'Enrol the simulated phone' }).click();
    await page.getByText("Phone enrolled: alice's simulated phone.").waitFor();
    await page.getByRole('link', { name: 'Back to your devices' }).click();
    await page.waitForURL(`${example.url}/devices`);
    await expect.poll(() => page.locator('#devices li').count()).toBe(2);

    // Five more minutes: removing asks the phone again, on the page (the request is repeated until approved).
    example.advance(301_000);
    await page.locator('#devices li', { hasText: "alice's simulated phone" }).getByRole('button', { name: 'Remove' }).click();
    const waiting = page.locator('#waiting');
    await waiting.getByText('Approve changing your devices?').waitFor();
    await approveOnPhone(phone, 'Approve changing your devices?');
    await page.getByText("Removed alice's simulated phone.").waitFor();
    expect(await page.locator('#devices li').count()).toBe(1);

    // What the app would have e-mailed.
    await page.goto(`${example.url}/account`);
    const notifications = await page.locator('#notifications').innerText();
    expect(notifications).toContain('Adding a new device to your account was started.');
    expect(notifications).toContain('A new device was added to your account.');
    expect(notifications).toContain('A device was removed from your account.');
    await screenshot(page, 'account-notifications');
  });

  it('a remembered browser skips the login push after logging out and in, but the change-e-mail page still asks', async () => {
    const example = await startExample();
    const phone = await openPhone(example);
    const page = await newPage();
    await signIn(page, example, phone, true);
    const cookie = await rememberCookie(page);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });

    await logOut(page, example);
    const created = example.challengesCreated();
    await submitLogin(page, example);
    await page.waitForURL(`${example.url}/account`);
    expect(await visibleText(page)).toContain('This browser is remembered, so your phone was not asked.');
    expect(example.challengesCreated()).toBe(created);

    // Remembered or not, a page that needs a recent approval asks the phone.
    await page.getByRole('link', { name: 'Change e-mail address' }).click();
    await page.waitForURL(`${example.url}/login/push/wait`);
    await approveOnPhone(phone, 'Approve changing your e-mail address?');
    await page.waitForURL(`${example.url}/settings/email`);
    expect(example.challengesCreated()).toBe(created + 1);
  });

  it('"sign out everywhere" ends every remembered browser of the user', async () => {
    const example = await startExample();
    const phone = await openPhone(example);
    const laptop = await newPage();
    const desktop = await newPage();
    await signIn(laptop, example, phone, true);
    await signIn(desktop, example, phone, true);

    await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
    await laptop.waitForURL(`${example.url}/login`);
    expect(await visibleText(laptop)).toContain('Signed out everywhere');
    expect(await laptop.locator('header').innerText()).toContain('Log in');
    await logOut(desktop, example);

    // Both browsers still hold their cookie, but it no longer counts: each sign-in asks the phone again.
    for (const page of [laptop, desktop]) {
      expect(await rememberCookie(page)).toBeDefined();
      await submitLogin(page, example);
      await page.waitForURL(`${example.url}/login/push/wait`);
      await approveOnPhone(phone, 'Approve sign-in to the Verify Push example?');
      await page.waitForURL(`${example.url}/account`);
      expect(await visibleText(page)).toContain('Signed in with your password and approved on your phone.');
    }
    await laptop.goto(`${example.url}/account`);
    expect(await laptop.locator('#notifications').innerText()).toContain('You signed out everywhere');
  });
});
