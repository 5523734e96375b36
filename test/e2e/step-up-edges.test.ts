/**
 * Edges of "when a push is needed": a remembered browser never passes a route that asks for a recent approval
 * without a push, and listing one's devices needs the push (of any age) while changing them needs a fresh one.
 */
import { describe, expect, it } from 'vitest';
import type { VerifyPushAuthenticateOptions } from '../../src/types.js';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, useWorld } from './harness.js';

const world = useWorld();
const STEP_UP: VerifyPushAuthenticateOptions = { gate: true, maxAge: 300, message: 'Approve changing your e-mail address?' };

describe('step-up edges', () => {
  it('a remembered browser with only the password gets a push on a maxAge route, with the route message', async () => {
    const app = await world.startApp({
      strategy: { rememberBrowser: { days: 30, secure: false } },
      authenticate: { remember: true },
      routes: (express, { passport }) => {
        express.get('/settings/email', passport.authenticate('verify-push', STEP_UP), (_req, res) => res.json({ page: 'email' }));
      },
    });
    const browser = agentFor(app);
    await passwordLogin(browser, 'alice');
    await browser.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    await browser.post('/login/push').expect(200);
    await browser.post('/logout').expect(200);
    await passwordLogin(browser, 'alice');
    world.emulator.clearCalls();
    const asked = await browser.get('/settings/email').expect(202);
    expect(asked.body.message).toBe('Approve changing your e-mail address?');
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    await answerOnPhone(world, 'alice', 'approve');
    await browser.get('/settings/email').expect(200);
    // Elsewhere the remembered browser still skips the login push.
    await browser.post('/logout').expect(200);
    await passwordLogin(browser, 'alice');
    world.emulator.clearCalls();
    await browser.get('/app/secret').expect(200);
    expect(apiCalls(world, 'createChallenge')).toBe(0);
    await app.close();
  });

  it("asks the app's remember callback only when a login completes, not on the gate's other requests", async () => {
    const asked: string[] = [];
    const app = await world.startApp({
      strategy: { rememberBrowser: { days: 30, secure: false } },
      authenticate: {
        remember: (req) => {
          asked.push(`${req.method} ${req.url ?? ''}`);
          return true;
        },
      },
    });
    const browser = agentFor(app);
    await passwordLogin(browser, 'alice');
    await browser.post('/login/push').expect(202);
    await browser.get('/app/secret').expect(202);
    expect(asked).toEqual([]);
    await answerOnPhone(world, 'alice', 'approve');
    const done = await browser.post('/login/push').expect(200);
    expect(asked).toEqual(['POST /login/push']);
    expect(String(done.headers['set-cookie'])).toContain('verify_push_browser=');
    for (let i = 0; i < 3; i += 1) await browser.get('/app/secret').expect(200);
    expect(asked).toEqual(['POST /login/push']);
    await app.close();
  });

  it('lists devices for a signed-in session of any age, but changes them only with a fresh approval', async () => {
    const app = await world.startApp({
      routes: (express, { strategy }) => {
        const devices = strategy.enrolment();
        express.get('/devices', devices.listFactors());
        express.post('/devices/token', devices.accessToken());
      },
    });
    const browser = agentFor(app);
    await passwordLogin(browser, 'alice');
    await browser.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    await browser.post('/login/push').expect(200);
    world.clock.advance(301_000);
    await browser.get('/app/secret').expect(200);
    const listed = await browser.get('/devices').expect(200);
    expect(listed.body.factors.map((factor: { sid: string }) => factor.sid)).toContain(world.factors.get('alice'));
    const minted = await browser.post('/devices/token').expect(403);
    expect(minted.body.error).toBe('STEP_UP_REQUIRED');
    await app.close();
  });
});
