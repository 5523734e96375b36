/** SECURITY.md: sessions (fixation, leftovers, logout, another user, backends without regenerate). */
import { describe, expect, it } from 'vitest';
import supertest from 'supertest';
import type { NextFunction, Request, Response } from 'express';
import {
  USERS,
  VERSION_MATRIX,
  agentFor,
  answerOnPhone,
  apiCalls,
  passwordLogin,
  phonePending,
  sessionCookie,
  useWorld,
} from './harness.js';

const world = useWorld();

function storedSession(store: { get(id: string, cb: (err: unknown, s?: unknown) => void): void }, id: string): Promise<unknown> {
  return new Promise((resolve, reject) => store.get(id, (err, s) => (err ? reject(err) : resolve(s ?? null))));
}

// Regeneration and keepSessionInfo are Passport's and express-session's doing, so every pairing is tried.
describe.each(VERSION_MATRIX)('sessions on Express $express, Passport $passport', (versions) => {
  it('replaces a fixated session id when pending starts and again on completion; old ids are dead', async () => {
    const app = await world.startApp(versions);
    const agent = agentFor(app);
    const visit = await agent.get('/visit').expect(200);
    const planted = { id: visit.body.sessionID as string, cookie: sessionCookie(visit) };
    const login = await agent.post('/login').send({ username: 'alice' }).expect(200);
    const afterPassword = { id: login.body.sessionID as string, cookie: sessionCookie(login) };
    const start = await agent.post('/login/push').expect(202);
    const duringPending = { id: (await agent.get('/whoami')).body.sessionID as string, cookie: sessionCookie(start) };
    await answerOnPhone(world, 'alice', 'approve');
    const done = await agent.post('/login/push').expect(200);
    const afterPush = done.body.sessionID as string;

    const ids = [planted.id, afterPassword.id, duringPending.id, afterPush];
    expect(new Set(ids).size).toBe(4);
    for (const old of [planted, afterPassword, duringPending]) {
      expect(await storedSession(app.sessions, old.id)).toBeNull();
      const whoami = await supertest(app.url).get('/whoami').set('Cookie', old.cookie).expect(200);
      expect(whoami.body.user).toBeNull();
      await supertest(app.url).get('/app/secret').set('Accept', 'application/json').set('Cookie', old.cookie).expect(401);
    }
    await agent.get('/app/secret').expect(200);
    await app.close();
  });

  it('leaves no pending keys after completion even with keepSessionInfo, and binds the mark to the new id', async () => {
    const app = await world.startApp({ ...versions, authenticate: { keepSessionInfo: true } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.get('/visit').expect(200); // app data written after the password step
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'bob', 'approve');
    const done = await agent.post('/login/push').expect(200);
    const whoami = await agent.get('/whoami').expect(200);
    expect(whoami.body.sessionID).toBe(done.body.sessionID);
    expect(whoami.body.verifyPush).toEqual({
      verified: { identity: world.identities.get('bob'), sessionId: done.body.sessionID, at: expect.any(Number) },
    });
    const stored = (await storedSession(app.sessions, done.body.sessionID)) as Record<string, unknown>;
    expect(stored.visited).toBe(true); // keepSessionInfo did carry the app's data over
    expect(JSON.stringify(stored)).not.toContain('pending');
    await app.close();
  });

  it('logout voids the second-factor mark, even when logout keeps the session data', async () => {
    const app = await world.startApp(versions);
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    await agent.post('/login/push').expect(200);
    await agent.post('/logout').expect(200); // the harness logs out with keepSessionInfo: true
    const whoami = await agent.get('/whoami').expect(200);
    expect(whoami.body.user).toBeNull();
    await agent.get('/app/secret').expect(401, { code: 'LOGIN_REQUIRED' });
    // the same user signs in again and the old mark is even carried into the new session
    await passwordLogin(agent, 'alice', true);
    expect((await agent.get('/whoami')).body.verifyPush?.verified?.identity).toBe(world.identities.get('alice'));
    const again = await agent.get('/app/secret').expect(202);
    expect(again.body.code).toBe('CHALLENGE_PENDING');
    await app.close();
  });

  it('makes a different user in the same browser pass their own push', async () => {
    const app = await world.startApp(versions);
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    await agent.post('/login/push').expect(200);
    await agent.get('/app/secret').expect(200, { secret: 42, user: 'alice' });

    const bobPendingBefore = (await phonePending(world, 'bob')).length;
    await passwordLogin(agent, 'bob');
    const res = await agent.get('/app/secret').expect(202);
    expect(res.body.code).toBe('CHALLENGE_PENDING');
    const bobPending = await phonePending(world, 'bob');
    expect(bobPending.length).toBe(bobPendingBefore + 1);
    expect(bobPending[0]!.hidden_details?.transaction_id).toBe(res.body.transactionId);
    await answerOnPhone(world, 'bob', 'approve');
    await agent.get('/app/secret').expect(200, { secret: 42, user: 'bob' });
    await app.close();
  });

  it('refuses a session backend without regenerate (cookie-session) with SESSION_UNSUPPORTED, before any Twilio call', async () => {
    // cookie-session keeps everything in the cookie: there is no session id to regenerate.
    const cookieSessionLike = (req: Request, _res: Response, next: NextFunction): void => {
      (req as unknown as { session: object }).session = { passport: { user: USERS.alice!.id } };
      next();
    };
    const app = await world.startApp({ ...versions, sessionMiddleware: cookieSessionLike });
    world.emulator.clearCalls();
    const res = await supertest(app.url).post('/login/push').set('Accept', 'application/json').expect(500);
    expect(res.body.code).toBe('SESSION_UNSUPPORTED');
    const gate = await supertest(app.url).get('/app/secret').set('Accept', 'application/json').expect(500);
    expect(gate.body.code).toBe('SESSION_UNSUPPORTED');
    expect(apiCalls(world)).toBe(0);
    await app.close();
  });
});
