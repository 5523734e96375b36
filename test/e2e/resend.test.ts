import { describe, expect, it } from 'vitest';
import { agentFor, answerOnPhone, apiCalls, passwordLogin, READING_TIME_MS, useWorld } from './harness.js';

const world = useWorld();

describe('resending the push', () => {
  it('sends the session own challenge again, at most twice (3 pushes with the first), then 429 without calling Twilio', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push').expect(202);
    world.emulator.clearCalls();

    for (const remaining of [1, 0]) {
      await agent.post('/login/push/resend').expect(200, { sent: true, remaining });
    }
    const refused = await agent.post('/login/push/resend').expect(429);
    expect(refused.body).toEqual({ error: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(apiCalls(world, 'createNotification')).toBe(2);
    expect(apiCalls(world)).toBe(2);
  });

  it('ignores a challenge sid sent by the client and answers 409 when nothing is pending', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    world.emulator.clearCalls();
    const res = await agent.post('/login/push/resend').send({ challengeSid: 'YC' + '0'.repeat(32) }).expect(409);
    expect(res.body).toEqual({ error: 'CHALLENGE_NOT_FOUND' });
    expect(apiCalls(world)).toBe(0);
  });

  it('refuses once the challenge was answered or expired, without calling Twilio', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push').expect(202);
    await answerOnPhone(world, 'alice', 'deny');
    world.emulator.clearCalls();
    const denied = await agent.post('/login/push/resend').expect(409);
    expect(denied.body).toEqual({ error: 'CHALLENGE_DENIED' });

    await agent.post('/login/push').expect(302).expect('Location', '/login/failed');
    world.clock.advance(READING_TIME_MS);
    await agent.post('/login/push').expect(202);
    world.clock.advance(301_000);
    const expired = await agent.post('/login/push/resend').expect(409);
    expect(expired.body).toEqual({ error: 'CHALLENGE_EXPIRED' });
    expect(apiCalls(world, 'createNotification')).toBe(0);
  });

  it('turns Twilio refusing one more notification (60309) into a clean 429, never a 5xx', async () => {
    const app = await world.startApp();
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push').expect(202);
    world.emulator.faults.add({ operation: 'createNotification', kind: 'status', status: 429, code: 60309 });
    const refused = await agent.post('/login/push/resend').expect(429);
    expect(refused.body).toEqual({ error: 'RATE_LIMITED' });
  });

  it('needs a signed-in user', async () => {
    const app = await world.startApp();
    await agentFor(app).post('/login/push/resend').expect(401, { error: 'NOT_AUTHENTICATED' });
  });
});
