/**
 * When the phone is asked again, across three instances sharing Redis (B in a child process, the webhook on A):
 * a step-up started on one instance completes on another and its purpose and way back are known everywhere; a
 * payment approved through A's webhook is used on C, exactly once however many instances are asked at once;
 * a remembered browser is recognised on every instance and forgotten on all of them by one "sign out
 * everywhere".
 */
import { describe, expect, it } from 'vitest';
import { redisAvailable } from '../helpers/redis-available.js';
import { Browser, type Answer } from './browser.js';
import type { Cluster } from './cluster.js';
import { useDeploymentsOnOneRedis } from './deployments.js';

const enabled = redisAvailable();
const deployment = useDeploymentsOnOneRedis();
const deploy = (): Promise<Cluster> => deployment({ asksAgainRoutes: true });

const REMEMBER_COOKIE = 'verify_push_browser';

/** A browser that also keeps the remembered-browser cookie, and can tick "remember this browser". */
class RememberingBrowser extends Browser {
  remembered = '';
  tickRemember = false;

  override headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers = super.headers({ ...extra, ...(this.tickRemember ? { 'X-Remember-Browser': 'yes' } : {}) });
    if (this.remembered) headers.Cookie = headers.Cookie ? `${headers.Cookie}; ${this.remembered}` : this.remembered;
    return headers;
  }

  override async request(instance: { url: string }, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
    const answer = await super.request(instance, method, path, body);
    const set = answer.headers.getSetCookie().find((cookie) => cookie.startsWith(`${REMEMBER_COOKIE}=`));
    if (set) this.remembered = set.split(';', 1)[0] ?? '';
    return answer;
  }
}

/** Password on A, push started on B, approved on the phone (webhook to A), login completed on C. */
async function signIn(d: Cluster, browser: Browser, username = 'alice'): Promise<void> {
  await browser.password(d.A, username);
  expect((await browser.post(d.B, '/login/push')).status).toBe(202);
  await d.phone.approve(username);
  const done = await browser.post(d.C, '/login/push');
  expect(done.status, JSON.stringify(done.body)).toBe(200);
}

const PAYMENT = { amount: '120.00', payee: 'ACME Ltd' };

describe.skipIf(!enabled)('step-up across instances', () => {
  it('started on A and completed on B; the status on C and the events on B say what it is for and where to go back', async () => {
    const d = await deploy();
    // B really is another Node process.
    expect(d.B.pid).not.toBe(process.pid);
    const browser = new Browser();
    await signIn(d, browser);
    const fresh = await browser.get(d.C, '/settings/email');
    expect(fresh.status).toBe(200);

    await d.advance(301_000);
    const created = d.apiCalls('createChallenge');
    const asked = await browser.get(d.A, '/settings/email');
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ code: 'CHALLENGE_PENDING', purpose: 'step-up', returnTo: '/settings/email', message: 'Approve changing your e-mail address?' });
    expect((await d.phone.pending('alice'))[0]?.details.message).toBe('Approve changing your e-mail address?');
    // Another instance sees the same push: pending, what for, and the page to go back to.
    expect((await browser.get(d.C, '/login/push/status')).body).toMatchObject({ state: 'pending', purpose: 'step-up', returnTo: '/settings/email' });
    // Meanwhile the session is still signed in for pages that ask for no recent approval, on any instance.
    expect((await browser.get(d.B, '/app/secret')).status).toBe(200);

    // A waiting page held by B (another process) is told of the approval the webhook brought to A.
    const told = browser.get(d.B, '/login/push/events');
    await d.phone.approve('alice');
    expect((await told).body).toMatchObject({ state: 'approved', purpose: 'step-up', returnTo: '/settings/email' });

    const through = await browser.get(d.B, '/settings/email');
    expect(through.status).toBe(200);
    expect(through.body).toMatchObject({ page: 'change e-mail', instance: 'B' });
    // A new session id after the step-up, and its approval time renewed for every instance: no second push.
    expect(through.body.sessionID).not.toBe(fresh.body.sessionID);
    expect((await browser.get(d.C, '/settings/email')).status).toBe(200);
    expect((await browser.get(d.A, '/settings/email')).status).toBe(200);
    expect(d.apiCalls('createChallenge')).toBe(created + 1);
    // The login itself was not repeated.
    await d.sync();
    expect(d.logins).toHaveLength(1);
  });
});

describe.skipIf(!enabled)('a transaction approved through the webhook on A', () => {
  it('is used on C, once; another amount needs its own approval', async () => {
    const d = await deploy();
    const browser = new Browser();
    await signIn(d, browser);
    const created = d.apiCalls('createChallenge');
    const asked = await browser.post(d.B, '/payments', PAYMENT);
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ purpose: 'action', message: 'Pay 120.00 EUR to ACME Ltd?' });
    // The client repeating the request on another instance is told to wait: no second push.
    expect((await browser.post(d.C, '/payments', PAYMENT)).status).toBe(202);
    expect(d.apiCalls('createChallenge')).toBe(created + 1);

    d.emulator.clearCalls();
    const approved = await d.phone.approve('alice');
    expect(d.emulator.deliveries().filter((delivery) => delivery.params.challenge_sid === approved).map((delivery) => delivery.url)).toEqual([
      `${d.A.url}/twilio/verify`,
    ]);
    const paid = await browser.post(d.C, '/payments', PAYMENT);
    expect(paid.status).toBe(200);
    expect(paid.body).toEqual({ paid: true, instance: 'C', challengeSid: approved });
    // Used once: the same request again, anywhere, asks the phone again.
    expect((await browser.post(d.A, '/payments', PAYMENT)).status).toBe(202);
    await d.phone.approve('alice');
    // Approved for 120.00: asking B for 9999.00 is another action, pushed anew, and pays nothing.
    const changed = await browser.post(d.B, '/payments', { ...PAYMENT, amount: '9999.00' });
    expect(changed.status).toBe(202);
    expect(changed.body).toMatchObject({ message: 'Pay 9999.00 EUR to ACME Ltd?' });

    await d.sync();
    expect(d.payments).toEqual([{ instance: 'C', user: 'alice', amount: '120.00', payee: 'ACME Ltd', challengeSid: approved }]);
  });

  it('30 parallel repeats of the approved request over A, B and C make exactly one payment', async () => {
    const d = await deploy();
    const browser = new Browser();
    await signIn(d, browser, 'bob');
    expect((await browser.post(d.A, '/payments', PAYMENT)).status).toBe(202);
    const approved = await d.phone.approve('bob');
    const created = d.apiCalls('createChallenge');

    const instances = [d.A, d.B, d.C];
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => browser.copy().post(instances[i % 3]!, '/payments', PAYMENT)));
    const paid = answers.filter((answer) => answer.status === 200);
    expect(paid).toHaveLength(1);
    expect(paid[0]!.body).toMatchObject({ paid: true, challengeSid: approved });
    // The others never pay: the approval was taken, or (arriving after it was used) the request is a new payment
    // and asks the phone again, all of them together with one push.
    const others = answers.filter((a) => a.status !== 200);
    for (const answer of others) {
      expect([
        [409, 'CHALLENGE_ALREADY_USED'],
        [202, 'CHALLENGE_PENDING'],
      ]).toContainEqual([answer.status, answer.body.code ?? answer.body.error]);
    }
    expect(new Set(others.filter((a) => a.status === 202).map((a) => a.body.transactionId)).size).toBeLessThanOrEqual(1);
    expect(d.apiCalls('createChallenge') - created).toBeLessThanOrEqual(1);
    await d.sync();
    expect(d.payments).toHaveLength(1);
    expect(d.payments[0]).toMatchObject({ user: 'bob', challengeSid: approved });
  });
});

describe.skipIf(!enabled)('remembered browsers across instances', () => {
  /** Signed in with the push approved and "remember this browser" ticked: the browser gets its cookie. */
  async function remembered(d: Cluster, ip: string): Promise<RememberingBrowser> {
    const browser = new RememberingBrowser(ip);
    await browser.password(d.A, 'alice');
    expect((await browser.post(d.B, '/login/push')).status).toBe(202);
    await d.phone.approve('alice');
    browser.tickRemember = true;
    expect((await browser.post(d.C, '/login/push')).status).toBe(200);
    browser.tickRemember = false;
    expect(browser.remembered).toMatch(new RegExp(`^${REMEMBER_COOKIE}=`));
    return browser;
  }

  /** Logs out on one instance, passes the password on another, opens a gated page on a third. */
  async function signInAgain(browser: RememberingBrowser, steps: { logout: { url: string }; password: { url: string }; page: { url: string } }): Promise<number> {
    expect((await browser.post(steps.logout, '/logout')).status).toBe(200);
    await browser.password(steps.password, 'alice');
    return (await browser.get(steps.page, '/app/secret')).status;
  }

  it('are recognised on every instance, and "sign out everywhere" on one forgets them on all', async () => {
    const d = await deploy();
    const laptop = await remembered(d, '198.51.100.31');
    const desktop = await remembered(d, '198.51.100.32');
    const created = d.apiCalls('createChallenge');

    // Recognised wherever the gate runs, the child process B included: no push.
    expect(await signInAgain(laptop, { logout: d.B, password: d.C, page: d.A })).toBe(200);
    expect(await signInAgain(laptop, { logout: d.A, password: d.B, page: d.C })).toBe(200);
    expect(await signInAgain(desktop, { logout: d.C, password: d.A, page: d.B })).toBe(200);
    expect(d.apiCalls('createChallenge')).toBe(created);
    // Never a step-up, remembered or not.
    expect((await desktop.get(d.C, '/settings/email')).status).toBe(202);

    // "Sign out everywhere" on B (another process): every instance forgets both browsers at once.
    const forgotten = await laptop.post(d.B, '/sign-out-everywhere');
    expect(forgotten.body).toEqual({ forgotten: true, instance: 'B' });
    const laptopAgain = await signInAgain(laptop, { logout: d.C, password: d.A, page: d.C });
    const desktopAgain = await signInAgain(desktop, { logout: d.A, password: d.C, page: d.A });
    expect([laptopAgain, desktopAgain]).toEqual([202, 202]);
    // Both still send their cookie: it is the revocation counter in Redis that ended them.
    expect(laptop.remembered).not.toBe('');
    expect(desktop.remembered).not.toBe('');
  });
});
