/**
 * Found by the soak (bench/soak): two requests of one session are on their way (two tabs polling the login
 * route or a gated page, or one page's parallel requests) when the phone denies. The one served first answers
 * CHALLENGE_DENIED and clears the session's pending challenge; the other, whose session is read a moment
 * later, finds no challenge and starts a new one: the phone is pushed again at once, although nobody asked
 * for another sign-in after the denial (one login attempt, two pushes; the same after an expiry). Parallel
 * requests of one session share one start (README); they should share the outcome too, not start another.
 */
import session from 'express-session';
import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, useWorld } from './harness.js';

const world = useWorld();

/** Holds requests marked `x-hold` before their session is read, until the test lets them go. */
function holdingSessions() {
  const real = session({ secret: 'e2e-session-secret', resave: false, saveUninitialized: false, store: new session.MemoryStore() });
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let arrived: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (arrived = resolve));
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (req.headers['x-hold'] === undefined) {
      real(req, res, next);
      return;
    }
    arrived();
    void gate.then(() => real(req, res, next));
  };
  return { middleware, held, release };
}

describe('a request in flight when the phone denies', () => {
  it('answers the denial like its sibling and sends no second push', async () => {
    const sessions = holdingSessions();
    const app = await world.startApp({ sessionMiddleware: sessions.middleware });
    const tab = agentFor(app);
    await passwordLogin(tab, 'alice');
    await tab.post('/login/push/cb').expect(202);
    await answerOnPhone(world, 'alice', 'deny');
    world.emulator.clearCalls();

    // Both tabs ask for the outcome at once; the second one's session is read after the first was answered.
    const second = tab.post('/login/push/cb').set('x-hold', '1').then((res) => res);
    await sessions.held;
    const first = await tab.post('/login/push/cb');
    expect({ status: first.status, code: first.body.code }).toEqual({ status: 401, code: 'CHALLENGE_DENIED' });
    sessions.release();
    const late = await second;

    expect(apiCalls(world, 'createChallenge')).toBe(0);
    expect({ status: late.status, code: late.body.code }).toEqual({ status: 401, code: 'CHALLENGE_DENIED' });
  });
});
