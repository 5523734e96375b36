/**
 * The clustered example (`REDIS_URL=… CLUSTER=3 npm start`) in Chromium: a person approves on the device page
 * and the waiting page moves on, though the emulator's webhook reached another worker than the one holding the
 * page's event stream. Which worker held the stream is the `X-Worker` header of its response; which worker
 * received the webhook is in the example's request log.
 * Node's cluster hands each new connection to the worker that has waited longest, so the test steers: before
 * the approval it opens connections of its own until one lands on the stream's worker, which makes the next
 * two (the phone's approval, then the webhook) go to the other workers. The device page's own polling can still
 * slip in between; a sign-in whose webhook lands on the stream's worker completes too but proves nothing, and
 * the person signs in again (alice and bob in turn, within the start limits).
 * Skips (or, with REQUIRE_REDIS=1 / REQUIRE_BROWSER=1, fails) without redis-server or Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { freshRequest } from '../helpers/example-cluster.js';
import { useExampleClusterOnRedis } from '../helpers/example-cluster-on-redis.js';
import { redisAvailable } from '../helpers/redis-available.js';
import { browserAvailable, launchBrowser, logInWithPassword, newContext, screenshot } from './harness.js';

const USERS = [
  { username: 'alice', password: 'correct-horse', displayName: 'Alice Example' },
  { username: 'bob', password: 'battery-staple', displayName: 'Bob Example' },
] as const;
/** Five sign-ins per user from one address fit in the default start limits (5 per 15 minutes). */
const MAX_SIGN_INS = 10;

describe.skipIf(!browserAvailable() || !redisAvailable())('the clustered example in a real browser', () => {
  // Its hooks come first: the browser closes before the cluster and Redis stop (after-hooks run in reverse).
  const example = useExampleClusterOnRedis(3);
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Password, then (bob's first time) enrolment of the simulated phone, up to the waiting page. */
  async function waitingPage(user: (typeof USERS)[number], streamWorkers: string[]): Promise<Page> {
    const page = await (await newContext(browser)).newPage();
    // The waiting page's EventSource: the worker that answered it holds the stream.
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/login/push/events') streamWorkers.push(response.headers()['x-worker'] ?? '');
    });
    await logInWithPassword(page, example.cluster.url, user.username, user.password);
    await page.waitForURL((url) => url.pathname === '/login/push/wait' || url.pathname === '/enrol');
    if (new URL(page.url()).pathname === '/enrol') {
      // The phone is enrolled by the primary, whichever worker served the page.
      await page.getByRole('button', { name: 'Enrol the simulated phone' }).click();
      await page.getByText(`Phone enrolled: ${user.username}'s simulated phone.`).waitFor();
      await page.getByRole('link', { name: 'Continue signing in' }).click();
      await page.waitForURL(`${example.cluster.url}/login/push/wait`);
    }
    await page.getByRole('heading', { name: 'Check your phone' }).waitFor();
    await page.getByText('live (server-sent events)').waitFor();
    await expect.poll(() => streamWorkers.length).toBeGreaterThan(0);
    return page;
  }

  /** Connections of the test's own until one is answered by `worker`: the next connection goes to another one. */
  async function nextConnectionAvoids(worker: string): Promise<void> {
    for (let probe = 0; probe < 6; probe += 1) {
      if ((await freshRequest(`${example.cluster.url}/`)).worker === worker) return;
    }
  }

  it('approve on the device page: the waiting page moves on though the webhook hit another worker', { timeout: 120_000 }, async () => {
    const phone = await (await newContext(browser)).newPage();
    await phone.goto(`${example.cluster.url}/device`);
    const seen: Array<{ stream: string; webhook: string }> = [];

    for (let signIn = 0; signIn < MAX_SIGN_INS; signIn += 1) {
      const user = USERS[signIn % USERS.length]!;
      const streamWorkers: string[] = [];
      const page = await waitingPage(user, streamWorkers);
      const footer = page.locator('footer.worker');
      expect(await footer.innerText()).toMatch(/^Served by worker [123]$/);

      const approve = phone.getByRole('button', { name: 'Approve' });
      await approve.waitFor();
      await nextConnectionAvoids(streamWorkers.at(-1)!);
      const logged = example.cluster.requests().length;
      await approve.click();
      const webhook = await example.cluster.waitForRequest(logged, (r) => r.method === 'POST' && r.path === '/twilio/verify-webhook');
      expect(webhook.status).toBe(200);

      await page.waitForURL(`${example.cluster.url}/account`);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(`Welcome, ${user.displayName}`);
      expect(await page.locator('header').innerText()).toContain(`Signed in as ${user.username}`);
      // The stream that told the page: the one open when the approval came (a page may have reconnected).
      const stream = streamWorkers.at(-1)!;
      seen.push({ stream, webhook: webhook.worker });
      if (stream !== webhook.worker) {
        await screenshot(page, 'cluster-account');
        await page.context().close();
        break;
      }
      await page.context().close();
    }
    await phone.context().close();

    // The last sign-in is the one that shows it: stream and webhook on different workers, page moved on.
    const last = seen.at(-1)!;
    expect(last.stream, `every sign-in had its webhook on the stream's worker: ${JSON.stringify(seen)}`).not.toBe(last.webhook);
    expect(['1', '2', '3']).toContain(last.stream);
    expect(['1', '2', '3']).toContain(last.webhook);
  });
});
