/**
 * Step-up by age (issue: "when a push is needed"): a route asking for `maxAge` lets a request through only if
 * this session's last push was approved within it; otherwise it pushes again with the route's own message and
 * answers pending, with the asking page as the way back. The approval renews the session's time (the login is
 * not repeated), and the strategy-wide `maxAgeSeconds` bounds how long any approval counts at all.
 */
import { describe, expect, it } from 'vitest';
import type { ApprovedChallenge, VerifyDone, VerifyPushAuthenticateOptions } from '../../src/types.js';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, phonePending, type Agent, type AppOptions, type TestApp, type User, useWorld, signedIn } from './harness.js';

const world = useWorld();

const STEP_UP: VerifyPushAuthenticateOptions = {
  gate: true,
  // Passport keeps the failure's sentence in the session, where /whoami shows it.
  failureMessage: true,
  maxAge: 300,
  message: 'Approve changing your e-mail address?',
  fields: [{ label: 'Action', value: 'Change e-mail address' }],
};

async function appWithStepUp(options: AppOptions = {}): Promise<{ app: TestApp; logins: { count: number } }> {
  const logins = { count: 0 };
  const app = await world.startApp({
    ...options,
    strategy: { waitUrl: '/login/push/wait', ...options.strategy },
    verify: (user: User, _challenge: ApprovedChallenge, done: VerifyDone<User>) => {
      logins.count += 1;
      done(null, user);
    },
    routes: (express, { passport }) => {
      express.get('/settings/email', passport.authenticate('verify-push', STEP_UP), (req, res) => {
        res.json({ page: 'change e-mail', sessionID: req.sessionID });
      });
    },
  });
  return { app, logins };
}

const signIn = (app: TestApp, username = 'alice'): Promise<Agent> => signedIn(world, app, username);

describe('step-up by age', () => {
  it('lets a recent approval through, and asks an older one for a new push whose approval lets the same request through', async () => {
    const { app, logins } = await appWithStepUp();
    const browser = await signIn(app);
    expect(logins.count).toBe(1);
    const fresh = await browser.get('/settings/email').expect(200);
    const signedInAt = (await browser.get('/whoami').expect(200)).body.verifyPush.verified.at as number;

    world.clock.advance(301_000);
    world.emulator.clearCalls();
    const pending = await browser.get('/settings/email').expect(202);
    expect(pending.body).toMatchObject({
      code: 'CHALLENGE_PENDING',
      purpose: 'step-up',
      returnTo: '/settings/email',
      message: 'Approve changing your e-mail address?',
      fields: [{ label: 'Action', value: 'Change e-mail address' }],
    });
    expect(Number(pending.headers['retry-after'])).toBeGreaterThan(0);
    // The phone shows what the route asked for.
    const [challenge] = await phonePending(world, 'alice');
    expect(challenge?.details.message).toBe('Approve changing your e-mail address?');
    expect(challenge?.details.fields).toEqual([{ label: 'Action', value: 'Change e-mail address' }]);
    // Meanwhile the session is still signed in for pages that ask for no recent approval.
    await browser.get('/app/secret').expect(200);

    await answerOnPhone(world, 'alice', 'approve');
    const before = (await browser.get('/login/push/status').expect(200)).body;
    expect(before.state).toBe('approved');
    const approvedBy = world.clock.now();
    const through = await browser.get('/settings/email').expect(200);
    // The approval renewed the session's time: the next request passes without a push.
    world.emulator.clearCalls();
    await browser.get('/settings/email').expect(200);
    expect(apiCalls(world, 'createChallenge')).toBe(0);
    // The login was not repeated (no verify callback), and the session got a new id.
    expect(logins.count).toBe(1);
    const whoami = (await browser.get('/whoami').expect(200)).body;
    expect(whoami.user).toBe('alice');
    expect(whoami.sessionID).toBe(through.body.sessionID);
    expect(through.body.sessionID).not.toBe(fresh.body.sessionID);
    expect(whoami.verifyPush.verified.at).toBeGreaterThanOrEqual(approvedBy);
    expect(whoami.verifyPush.verified.at - signedInAt).toBeGreaterThanOrEqual(301_000);
    await app.close();
  });

  it('sends a browser to the waiting page, which learns where to go back', async () => {
    const { app } = await appWithStepUp();
    const browser = await signIn(app);
    world.clock.advance(301_000);
    const redirect = await browser.get('/settings/email').set('Accept', 'text/html').expect(303);
    expect(redirect.headers.location).toBe('/login/push/wait');
    const status = (await browser.get('/login/push/status').expect(200)).body;
    expect(status).toMatchObject({ state: 'pending', purpose: 'step-up', returnTo: '/settings/email' });
    await app.close();
  });

  it('a denied step-up refuses the page but leaves the session signed in', async () => {
    const { app } = await appWithStepUp();
    const browser = await signIn(app);
    world.clock.advance(301_000);
    await browser.get('/settings/email').expect(202);
    await answerOnPhone(world, 'alice', 'deny');
    await browser.get('/settings/email').expect(401);
    expect((await browser.get('/whoami').expect(200)).body.messages).toEqual(['The sign-in request was denied on your phone.']);
    await browser.get('/app/secret').expect(200);
    await app.close();
  });

  it('logging in again on the login route does not freshen the session', async () => {
    const { app } = await appWithStepUp();
    const browser = await signIn(app);
    world.clock.advance(301_000);
    await browser.post('/login/push').expect(200);
    await browser.get('/settings/email').expect(202);
    await app.close();
  });

  it('maxAgeSeconds bounds how long any approval counts: after it, the gate pushes for a new login', async () => {
    const { app, logins } = await appWithStepUp({ strategy: { maxAgeSeconds: 3600 } });
    const browser = await signIn(app);
    world.clock.advance(3_500_000);
    await browser.get('/app/secret').expect(200);
    world.clock.advance(200_000);
    const again = await browser.get('/app/secret').expect(202);
    expect(again.body.purpose).toBeUndefined();
    await answerOnPhone(world, 'alice', 'approve');
    await browser.get('/app/secret').expect(200);
    expect(logins.count).toBe(2);
    await app.close();
  });
});
