/**
 * For 2 s after a push ends, the session's requests answer that end (they set out before the phone answered,
 * and must not push it again). A "Send a new request" button clicked within those 2 s is not such a request:
 * the person asks. Its route passes `askAgain: true`, and the new push goes out at once.
 */
import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import type { VerifyPushAuthenticateOptions } from '../../src/index.js';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, phonePending, useWorld, type User } from './harness.js';

const world = useWorld();

/** The harness's app, with a "send a new request" route as an app would mount it (a custom callback). */
function startAppWithAskAgain(extra: Partial<VerifyPushAuthenticateOptions> = {}) {
  return world.startApp({
    strategy: { expiresInSeconds: 60 },
    routes: (app, { passport }) => {
      const options = { pending: 'callback', askAgain: true, ...extra } as VerifyPushAuthenticateOptions;
      app.post('/login/push/again', (req: Request, res: Response, next: NextFunction) => {
        passport.authenticate('verify-push', options, (err: unknown, user: User | false, info: unknown, status: number | undefined) => {
          if (err) return next(err);
          if (!user) return void res.status(status ?? 401).json(info ?? {});
          req.logIn(user, (loginErr) => (loginErr ? next(loginErr) : res.json({ loggedIn: user.name })));
        })(req, res, next);
      });
    },
  });
}

describe('asking for a new push right after the last one ended', () => {
  it('a denial: other requests still answer it, the ask-again route pushes once, and that push logs in', async () => {
    const app = await startAppWithAskAgain();
    const tab = agentFor(app);
    await passwordLogin(tab, 'alice');
    await tab.post('/login/push/cb').expect(202);
    await answerOnPhone(world, 'alice', 'deny');
    expect((await tab.post('/login/push/cb').expect(401)).body.code).toBe('CHALLENGE_DENIED');
    world.emulator.clearCalls();

    // Without askAgain, a request of the same moment is one that set out before the phone answered.
    expect((await tab.post('/login/push/cb').expect(401)).body.code).toBe('CHALLENGE_DENIED');
    expect(apiCalls(world, 'createChallenge')).toBe(0);

    const again = await tab.post('/login/push/again').expect(202);
    expect(again.body.transactionId).toEqual(expect.any(String));
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    // The same session's next request waits on that push, and the approval logs in.
    await tab.post('/login/push/cb').expect(202);
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    await answerOnPhone(world, 'alice', 'approve');
    expect((await tab.post('/login/push/cb').expect(200)).body.loggedIn).toBe('alice');
  });

  it('an expiry: the ask-again route sends a new push at once', async () => {
    const app = await startAppWithAskAgain();
    const tab = agentFor(app);
    await passwordLogin(tab, 'alice');
    await tab.post('/login/push/cb').expect(202);
    world.clock.advance(61_000);
    expect((await tab.post('/login/push/cb').expect(401)).body.code).toBe('CHALLENGE_EXPIRED');
    world.emulator.clearCalls();

    await tab.post('/login/push/again').expect(202);
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    expect(await phonePending(world, 'alice')).toHaveLength(1);
  });

  it('does not push while the session still has a push waiting: asking again is for after an end', async () => {
    const app = await startAppWithAskAgain();
    const tab = agentFor(app);
    await passwordLogin(tab, 'alice');
    world.emulator.clearCalls();
    const first = await tab.post('/login/push/cb').expect(202);
    const again = await tab.post('/login/push/again').expect(202);
    expect(again.body.transactionId).toBe(first.body.transactionId);
    expect(apiCalls(world, 'createChallenge')).toBe(1);
  });

  it('refuses an askAgain that is not a boolean with INVALID_OPTION, sending nothing', async () => {
    const app = await startAppWithAskAgain({ askAgain: 'yes' as unknown as boolean });
    const tab = agentFor(app);
    await passwordLogin(tab, 'alice');
    world.emulator.clearCalls();
    expect((await tab.post('/login/push/again').expect(500)).body.code).toBe('INVALID_OPTION');
    expect(apiCalls(world, 'createChallenge')).toBe(0);
  });
});
