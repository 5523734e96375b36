import { describe, expect, it } from 'vitest';
import supertest from 'supertest';
import {
  agentFor,
  answerOnPhone,
  apiCalls,
  factorRef,
  passwordLogin,
  READING_TIME_MS,
  VERSION_MATRIX,
  useWorld,
} from './harness.js';

const world = useWorld();

describe.each(VERSION_MATRIX)('Express $express, Passport $passport', (versions) => {
  it('logs in after the phone approves, told by the webhook: 2 Twilio calls after the factor lookup', async () => {
    const app = await world.startApp(versions);
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    world.emulator.clearCalls();

    const pending = await agent.post('/login/push').expect(202);
    expect(pending.body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING', message: 'Approve sign-in to E2E App?' });
    expect(pending.headers['retry-after']).toBe('2');
    // still pending on a second poll, and the protected area is closed
    await agent.post('/login/push').expect(202);
    const gated = await agent.get('/app/secret').expect(202);
    expect(gated.body.secret).toBeUndefined();

    await answerOnPhone(world, 'alice', 'approve');
    const done = await agent.post('/login/push').expect(200);
    expect(done.body.loggedIn).toBe('alice');
    await agent.get('/app/secret').expect(200, { secret: 42, user: 'alice' });

    expect(apiCalls(world, 'listFactors')).toBe(1);
    expect(apiCalls(world) - apiCalls(world, 'listFactors')).toBe(2);
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    expect(apiCalls(world, 'fetchChallenge')).toBe(1);
    await app.close();
  });
});

describe('without a webhook (polling)', () => {
  it('completes by polling Twilio once the poll interval has passed', async () => {
    const app = await world.startApp({ webhook: false });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    world.emulator.clearCalls();
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    // Inside the first interval nobody asks Twilio: the answer stays pending.
    await agent.post('/login/push').expect(202);
    world.clock.advance(2_000);
    const done = await agent.post('/login/push').expect(200);
    expect(done.body.loggedIn).toBe('alice');
    expect(apiCalls(world, 'fetchChallenge')).toBe(1);
    await app.close();
  });

  it('fetches at most once per interval however often and from however many tabs it is polled', async () => {
    const app = await world.startApp({ webhook: false });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    const started = await agent.post('/login/push').expect(202);
    const cookie = String(started.headers['set-cookie']).split(';')[0]!;
    world.emulator.clearCalls();
    // 10 s of clock, polled every 250 ms by three tabs at once
    for (let step = 0; step < 40; step += 1) {
      world.clock.advance(250);
      await Promise.all([0, 1, 2].map(() => supertest(app.url).post('/login/push').set('Accept', 'application/json').set('Cookie', cookie).expect(202)));
    }
    const fetches = apiCalls(world, 'fetchChallenge');
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(10_000 / 2_000);
    expect(apiCalls(world)).toBe(fetches);
    await app.close();
  });
});

describe('outcomes', () => {
  it('fails a denied challenge with CHALLENGE_DENIED and lets the user start again', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push/cb').expect(202);
    await answerOnPhone(world, 'bob', 'deny');
    const denied = await agent.post('/login/push/cb').expect(401);
    expect(denied.body.code).toBe('CHALLENGE_DENIED');
    await agent.get('/whoami').expect((res) => expect(res.body.verifyPush?.pending).toBeUndefined());
    world.clock.advance(READING_TIME_MS);
    await agent.post('/login/push/cb').expect(202);
    await app.close();
  });

  it('sends a denied login to failureRedirect on the plain route', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'bob', 'deny');
    await agent.post('/login/push').expect(302).expect('Location', '/login/failed');
    await app.close();
  });

  it('expires a challenge nobody answered (clock shared with the emulator)', async () => {
    const app = await world.startApp({ strategy: { expiresInSeconds: 60 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    const pending = await agent.post('/login/push/cb').expect(202);
    expect(Date.parse(pending.body.expiresAt)).toBeLessThanOrEqual(world.clock.now() + 60_000);
    world.clock.advance(30_000);
    await agent.post('/login/push/cb').expect(202);
    world.clock.advance(31_000);
    const expired = await agent.post('/login/push/cb').expect(401);
    expect(expired.body.code).toBe('CHALLENGE_EXPIRED');
    await app.close();
  });

  it('logs in on the registered device itself by silent approval with the transaction id', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    const pending = await agent.post('/login/push').expect(202);
    const transactionId = pending.body.transactionId as string;
    // The app on the phone got the transaction id in the login answer and approves only that challenge.
    await expect(
      world.device.approveTransaction({ ...factorRef(world, 'alice'), transactionId: 'not-our-transaction-id' }),
    ).rejects.toMatchObject({ code: 'NO_MATCHING_CHALLENGE' });
    await world.device.approveTransaction({ ...factorRef(world, 'alice'), transactionId });
    await world.emulator.webhooksSettled();
    await agent.post('/login/push').expect(200);
    await app.close();
  });

  it('refuses a user without a push factor with NO_PUSH_FACTOR', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'carol');
    const res = await agent.post('/login/push/cb').expect(403);
    expect(res.body.code).toBe('NO_PUSH_FACTOR');
    await app.close();
  });

  it('answers a user who skipped the password with FIRST_FACTOR_REQUIRED', async () => {
    const app = await world.startApp();
    const res = await agentFor(app).post('/login/push/cb').expect(401);
    expect(res.body.code).toBe('FIRST_FACTOR_REQUIRED');
    await app.close();
  });
});

describe.each(VERSION_MATRIX)('clients and modes, Express $express, Passport $passport', (versions) => {
  it('gives a JSON client the full pending body', async () => {
    const app = await world.startApp({ ...versions, strategy: { numberMatching: true } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    const res = await agent.post('/login/push').expect(202).expect('Content-Type', /json/);
    expect(res.body).toEqual({
      status: 'pending',
      code: 'CHALLENGE_PENDING',
      expiresAt: expect.any(String),
      pollAfterMs: 2000,
      transactionId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      matchCode: expect.stringMatching(/^\d{2}$/),
      message: 'Approve sign-in to E2E App?',
      fields: [
        { label: 'IP address', value: expect.stringMatching(/127\.0\.0\.1/) },
        { label: 'Browser', value: expect.any(String) },
        { label: 'Time', value: expect.stringMatching(/ UTC$/) },
      ],
    });
    await app.close();
  });

  it('redirects a browser to waitUrl (303), then completes with successRedirect', async () => {
    const app = await world.startApp({ ...versions, strategy: { waitUrl: '/login/wait' }, authenticate: { successRedirect: '/home' } });
    const browser = agentFor(app).set('Accept', 'text/html,application/xhtml+xml');
    await passwordLogin(browser, 'bob');
    await browser.post('/login/push').expect(303).expect('Location', '/login/wait');
    await answerOnPhone(world, 'bob', 'approve');
    await browser.post('/login/push').expect(302).expect('Location', '/home');
    await app.close();
  });

  it('shows a custom callback the pending state as (null, false, info, 202), then the user', async () => {
    const app = await world.startApp(versions);
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    const pending = await agent.post('/login/push/cb').expect(202);
    expect(pending.body.code).toBe('CHALLENGE_PENDING');
    await answerOnPhone(world, 'alice', 'approve');
    const done = await agent.post('/login/push/cb').expect(200);
    expect(done.body.loggedIn).toBe('alice');
    await agent.get('/app/secret').expect(200);
    await app.close();
  });

  it('gates protected routes: no first factor passes through, pending never reaches the handler, verified passes', async () => {
    const app = await world.startApp({ ...versions, strategy: { waitUrl: '/login/wait' } });
    const agent = agentFor(app);
    await agent.get('/app/secret').expect(401, { code: 'LOGIN_REQUIRED' });
    await passwordLogin(agent, 'alice');
    const first = await agent.get('/app/secret').expect(202);
    expect(first.body.code).toBe('CHALLENGE_PENDING');
    await agent.get('/app/secret').set('Accept', 'text/html').expect(303).expect('Location', '/login/wait');
    await answerOnPhone(world, 'alice', 'approve');
    // the gate completes the login in place and runs the handler
    await agent.get('/app/secret').expect(200, { secret: 42, user: 'alice' });
    world.emulator.clearCalls();
    for (let i = 0; i < 5; i += 1) await agent.get('/app/secret').expect(200);
    expect(apiCalls(world)).toBe(0);
    await app.close();
  });

  it('reports status(req) without logging in', async () => {
    const app = await world.startApp(versions);
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.get('/login/push/status').expect(200, { state: 'none' });
    const pending = await agent.post('/login/push').expect(202);
    const status = await agent.get('/login/push/status').expect(200);
    expect(status.body).toMatchObject({ state: 'pending', transactionId: pending.body.transactionId });
    expect(JSON.stringify(status.body)).not.toMatch(/YC[0-9a-f]{32}/);
    await answerOnPhone(world, 'alice', 'approve');
    await agent.get('/login/push/status').expect(200).expect((res) => expect(res.body.state).toBe('approved'));
    await agent.get('/app/secret').expect(200);
    await agent.get('/login/push/status').expect(200, { state: 'completed' });
    await app.close();
  });
});

describe.each(VERSION_MATRIX)("Passport's own options, Express $express, Passport $passport", (versions) => {
  it('successReturnToOrRedirect sends the user back where they were going (with keepSessionInfo)', async () => {
    const app = await world.startApp({ ...versions, authenticate: { successReturnToOrRedirect: '/home', keepSessionInfo: true } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.get('/remember').query({ path: '/app/secret' }).expect(200);
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    await agent.post('/login/push').expect(302).expect('Location', '/app/secret');
    await agent.get('/app/secret').expect(200);
    await app.close();
  });

  it('failureMessage stores a readable message for a failed second factor', async () => {
    const app = await world.startApp({ ...versions, authenticate: { failureMessage: true } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'bob', 'deny');
    await agent.post('/login/push').expect(302).expect('Location', '/login/failed');
    const whoami = await agent.get('/whoami').expect(200);
    expect(whoami.body.messages).toHaveLength(1);
    expect(typeof whoami.body.messages[0]).toBe('string');
    expect(whoami.body.messages[0].length).toBeGreaterThan(0);
    await app.close();
  });
});
