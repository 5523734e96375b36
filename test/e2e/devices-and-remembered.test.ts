/**
 * Devices change only with a fresh approval, and remembered browsers: a verified cookie stolen hours later
 * cannot add a phone or remove the owner's; the app is told of every device change once; a remembered browser
 * skips the login push but never a step-up, and forgetting (sign out everywhere, a device change) ends it.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceChangeEvent, VerifyPushAuthenticateOptions } from '../../src/types.js';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, type Agent, type TestApp, type User, useWorld, signedIn } from './harness.js';

const world = useWorld();
const FRESH: VerifyPushAuthenticateOptions = { gate: true, maxAge: 300, message: 'Approve changing your devices?' };

type Change = Omit<DeviceChangeEvent<User>, 'req' | 'user'> & { by?: string };

async function appWithDevices(): Promise<{ app: TestApp; changes: Change[] }> {
  const changes: Change[] = [];
  const app = await world.startApp({
    strategy: {
      onDeviceChange: ({ req: _req, user, ...event }) => void changes.push({ ...event, ...(user ? { by: (user as User).name } : {}) }),
    },
    routes: (express, { passport, strategy: push }) => {
      const devices = push.enrolment();
      // As the README recommends: a fresh approval in front of device changes...
      express.post('/devices/token', passport.authenticate('verify-push', FRESH), devices.accessToken());
      express.delete('/devices/:factorSid', passport.authenticate('verify-push', FRESH), devices.deleteFactor());
      // ... and the handlers' own check behind it, shown here without the gate.
      express.post('/unguarded/devices/token', devices.accessToken());
      express.delete('/unguarded/devices/:factorSid', devices.deleteFactor());
    },
  });
  // Twilio tells the app of factor changes too (the service webhook also carries factor events).
  const hooks = world.emulator.client().verify.v2.services(world.serviceSid).webhooks;
  for (const hook of await hooks.list()) {
    await hooks(hook.sid).update({ eventTypes: ['challenge.approved', 'challenge.denied', 'factor.verified', 'factor.deleted'] });
  }
  return { app, changes };
}

const signIn = (app: TestApp, username = 'bob'): Promise<Agent> => signedIn(world, app, username);

describe('devices change only with a fresh approval', () => {
  it('an old verified cookie cannot mint an enrolment token or delete a device; a fresh push lets it', async () => {
    const { app, changes } = await appWithDevices();
    const stolen = await signIn(app);
    world.clock.advance(6 * 60 * 60_000);
    world.emulator.clearCalls();
    const token = await stolen.post('/unguarded/devices/token').expect(403);
    expect(token.body.error).toBe('STEP_UP_REQUIRED');
    const removal = await stolen.delete(`/unguarded/devices/${world.factors.get('bob')}`).expect(403);
    expect(removal.body.error).toBe('STEP_UP_REQUIRED');
    expect(apiCalls(world, 'createAccessToken') + apiCalls(world, 'deleteFactor')).toBe(0);
    expect(changes).toEqual([]);

    // Behind the step-up gate the same session is asked for a push first; the owner's phone approves.
    const asked = await stolen.post('/devices/token').expect(202);
    expect(asked.body).toMatchObject({ purpose: 'step-up', message: 'Approve changing your devices?' });
    await answerOnPhone(world, 'bob', 'approve');
    const minted = await stolen.post('/devices/token').expect(200);
    expect(minted.body.identity).toBe(world.identities.get('bob'));
    expect(changes).toEqual([{ kind: 'enrolment-started', identity: world.identities.get('bob'), by: 'bob' }]);
    await app.close();
  });

  it('tells the app once of a device added (Twilio factor.verified) and once of one removed', async () => {
    const { app, changes } = await appWithDevices();
    const browser = await signIn(app);
    const { body } = await browser.post('/devices/token').expect(200);
    const phone = world.emulator.device();
    const identity = world.identities.get('bob')!;
    const { factorSid } = await phone.register({ serviceSid: world.serviceSid, identity, accessToken: body.token, friendlyName: 'new phone' });
    await world.emulator.webhooksSettled();
    expect(changes.filter((change) => change.kind === 'added')).toEqual([{ kind: 'added', identity, factorSid }]);

    await browser.delete(`/devices/${factorSid}`).expect(204);
    await world.emulator.webhooksSettled();
    // Removed through the app, and announced by Twilio's factor.deleted as well: the app hears of it once.
    expect(changes.filter((change) => change.kind === 'removed')).toEqual([{ kind: 'removed', identity, factorSid, by: 'bob' }]);
    await app.close();
  });
});

describe('remembered browsers', () => {
  async function appRemembering(): Promise<TestApp> {
    return world.startApp({
      strategy: { rememberBrowser: { days: 30, secure: false } },
      // The "remember this browser" box: here a header the test sets on the completing request.
      authenticate: { remember: (req) => req.headers['x-remember-browser'] === 'yes' },
      routes: (express, { passport, strategy: push }) => {
        express.get('/settings', passport.authenticate('verify-push', FRESH), (_req, res) => res.json({ page: 'settings' }));
        express.post('/sign-out-everywhere', (req, res, next) => {
          push.forgetBrowsers(req.user as User).then(() => res.json({ forgotten: true }), next);
        });
        const devices = push.enrolment();
        express.delete('/devices/:factorSid', passport.authenticate('verify-push', FRESH), devices.deleteFactor());
        express.post('/devices/token', passport.authenticate('verify-push', FRESH), devices.accessToken());
      },
    });
  }

  /** Password, push approved, and the browser asked to be remembered: the cookie it gets. */
  async function rememberedBrowser(app: TestApp, username = 'alice'): Promise<{ browser: Agent; cookie: string }> {
    const browser = agentFor(app);
    await passwordLogin(browser, username);
    await browser.post('/login/push').expect(202);
    await answerOnPhone(world, username, 'approve');
    const done = await browser.post('/login/push').set('X-Remember-Browser', 'yes').expect(200);
    const cookie = (done.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('verify_push_browser='));
    if (!cookie) throw new Error('no remembered-browser cookie');
    return { browser, cookie };
  }

  async function signInAgain(browser: Agent, username = 'alice'): Promise<number> {
    await browser.post('/logout').expect(200);
    await passwordLogin(browser, username);
    world.emulator.clearCalls();
    const res = await browser.get('/app/secret');
    return res.status;
  }

  it('skip the login push on the same browser, never a step-up, with a signed HttpOnly SameSite cookie', async () => {
    const app = await appRemembering();
    const { browser, cookie } = await rememberedBrowser(app);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Max-Age=2592000/);
    expect(await signInAgain(browser)).toBe(200);
    expect(apiCalls(world, 'createChallenge')).toBe(0);
    // A step-up always pushes, remembered or not.
    await browser.get('/settings').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    await browser.get('/settings').expect(200);
    await app.close();
  });

  it('count only for the user they were issued to, and only with an intact signature', async () => {
    const app = await appRemembering();
    const { browser, cookie } = await rememberedBrowser(app, 'alice');
    // Another user signing in on the same browser needs their own push.
    expect(await signInAgain(browser, 'bob')).toBe(202);
    // A cookie whose payload was edited (or signed with another key) is ignored.
    const [name, value] = cookie.split(';')[0]!.split('=') as [string, string];
    const [body, signature] = value.split('.') as [string, string];
    const forged = `${name}=${body.slice(0, -2)}AA.${signature}`;
    const stranger = agentFor(app);
    await passwordLogin(stranger, 'alice');
    await stranger.get('/app/secret').set('Cookie', forged).expect(202);
    await app.close();
  });

  it('are all forgotten at once by "sign out everywhere" and by a device change', async () => {
    const app = await appRemembering();
    const first = await rememberedBrowser(app);
    await first.browser.post('/sign-out-everywhere').expect(200);
    expect(await signInAgain(first.browser)).toBe(202);

    const second = await rememberedBrowser(app);
    const minted = await second.browser.post('/devices/token');
    expect(minted.status).toBe(200);
    // Minting an enrolment token is a device change under way: remembered browsers are forgotten.
    expect(await signInAgain(second.browser)).toBe(202);
    await app.close();
  });
});
