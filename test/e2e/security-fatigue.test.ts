/** SECURITY.md: push fatigue (start limits, one pending per user, denial counting, number matching). */
import { describe, expect, it } from 'vitest';
import type { DeniedEvent } from '../../src/types.js';
import { agentFor, answerOnPhone, apiCalls, factorRef, passwordLogin, phonePending, READING_TIME_MS, type User, useWorld } from './harness.js';

const world = useWorld();

describe('push fatigue', () => {
  it('answers 429 with Retry-After past the per-user start limit, without calling Twilio', async () => {
    const app = await world.startApp({ strategy: { limits: { perUser: { max: 2, windowSeconds: 600 } } } });
    for (let i = 0; i < 2; i += 1) {
      const agent = agentFor(app);
      await passwordLogin(agent, 'alice');
      await agent.post('/login/push/cb').expect(202);
    }
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    world.emulator.clearCalls();
    const limited = await agent.post('/login/push/cb').expect(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    // the gate refuses the same way, also without Twilio
    await agent.get('/app/secret').expect(429).expect('Retry-After', /^\d+$/);
    expect(apiCalls(world)).toBe(0);
    // another user is not affected
    const bob = agentFor(app);
    await passwordLogin(bob, 'bob');
    await bob.post('/login/push/cb').expect(202);
    // after the window, alice may start again
    world.clock.advance(601_000);
    await agent.post('/login/push/cb').expect(202);
    await app.close();
  });

  it('answers 429 past the per-IP start limit, across users, without calling Twilio', async () => {
    const app = await world.startApp({ strategy: { limits: { perIp: { max: 2, windowSeconds: 900 } } } });
    for (const name of ['alice', 'bob']) {
      const agent = agentFor(app);
      await passwordLogin(agent, name);
      await agent.post('/login/push/cb').expect(202);
    }
    const carol = agentFor(app);
    await passwordLogin(carol, 'carol');
    world.emulator.clearCalls();
    const limited = await carol.post('/login/push/cb').expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(apiCalls(world)).toBe(0);
    await app.close();
  });

  it('keeps one pending challenge per user: a new start supersedes the previous one', async () => {
    const app = await world.startApp();
    const first = agentFor(app);
    await passwordLogin(first, 'bob');
    await first.post('/login/push/cb').expect(202);
    const second = agentFor(app);
    await passwordLogin(second, 'bob');
    await second.post('/login/push/cb').expect(202);
    const res = await first.post('/login/push/cb').expect(401);
    expect(res.body.code).toBe('CHALLENGE_SUPERSEDED');
    await app.close();
  });

  it('keeps counting denials across challenges, tells onDenied once per denial, and stops new pushes at the limit', async () => {
    const events: Array<Omit<DeniedEvent<User>, 'req'>> = [];
    const app = await world.startApp({
      strategy: {
        limits: { denials: { max: 2, windowSeconds: 3600 } },
        onDenied: ({ req: _req, ...event }) => {
          events.push(event);
        },
      },
    });
    const agent = agentFor(app);
    const alice = world.identities.get('alice');
    await passwordLogin(agent, 'alice');
    for (let i = 0; i < 2; i += 1) {
      await agent.post('/login/push/cb').expect(202);
      await answerOnPhone(world, 'alice', 'deny');
      // The webhook recorded the denial and told the app, before (and whether or not) the browser polls again:
      // someone holding the password cannot dodge the alert by walking away.
      expect(events).toHaveLength(i + 1);
      const denied = await agent.post('/login/push/cb').expect(401);
      expect(denied.body.code).toBe('CHALLENGE_DENIED');
      world.clock.advance(READING_TIME_MS);
    }
    expect(events.map((e) => [e.identity, e.count, e.limit, e.user])).toEqual([
      [alice, 1, 2, undefined],
      [alice, 2, 2, undefined],
    ]);
    world.emulator.clearCalls();
    const limited = await agent.post('/login/push/cb').expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(apiCalls(world)).toBe(0);
    await app.close();
  });

  it('a denial noticed by the user\'s own poll (no webhook) reaches onDenied once, with the user', async () => {
    const events: Array<Omit<DeniedEvent<User>, 'req'> & { hasReq: boolean }> = [];
    const app = await world.startApp({
      webhook: false,
      strategy: { onDenied: ({ req, ...event }) => void events.push({ ...event, hasReq: req !== undefined }) },
    });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push/cb').expect(202);
    await answerOnPhone(world, 'bob', 'deny');
    world.clock.advance(2_500);
    await agent.post('/login/push/cb').expect(401);
    world.clock.advance(READING_TIME_MS);
    await agent.post('/login/push/cb').expect(202);
    expect(events).toEqual([{ identity: world.identities.get('bob'), count: 1, limit: 3, user: expect.objectContaining({ name: 'bob' }), hasReq: true }]);
    await app.close();
  });

  it('parallel requests of one session push the phone once and share one pending challenge', async () => {
    const app = await world.startApp();
    const browser = agentFor(app);
    await passwordLogin(browser, 'bob');
    world.emulator.clearCalls();
    const answers = await Promise.all(Array.from({ length: 6 }, () => browser.get('/app/secret')));
    // Each answer is the shared pending state, or, for a request that arrived after the first one replaced the
    // session id, the app's own "log in" answer (its old session is gone): never a second push.
    const pending = answers.filter((a) => a.status === 202);
    expect(pending.length).toBeGreaterThanOrEqual(1);
    expect(answers.filter((a) => a.status !== 202).every((a) => a.status === 401 && a.body.code === 'LOGIN_REQUIRED')).toBe(true);
    expect(new Set(pending.map((a) => a.body.transactionId)).size).toBe(1);
    expect(apiCalls(world, 'createChallenge')).toBe(1);
    await app.close();
  });

  it('counts a denial even when whoever started the push never asks again (no webhook), and stops at the limit', async () => {
    const events: Array<Omit<DeniedEvent<User>, 'req'>> = [];
    const app = await world.startApp({
      webhook: false,
      strategy: {
        limits: { denials: { max: 2, windowSeconds: 3600 } },
        onDenied: ({ req: _req, ...event }) => void events.push(event),
      },
    });
    const attacker = agentFor(app);
    await passwordLogin(attacker, 'alice');
    for (let i = 0; i < 2; i += 1) {
      // A fresh start each time, never polling the previous one: the old way to dodge the denial count.
      await attacker.post('/logout').expect(200);
      await passwordLogin(attacker, 'alice');
      await attacker.post('/login/push/cb').expect(202);
      await answerOnPhone(world, 'alice', 'deny');
    }
    await attacker.post('/logout').expect(200);
    await passwordLogin(attacker, 'alice');
    // This start asks Twilio about the previous challenge once, counts its denial (the second, reported with
    // the user) and, the limit now reached, is refused without sending a third push.
    world.emulator.clearCalls();
    await attacker.post('/login/push/cb').expect(429);
    expect(events.map((e) => [e.count, e.user?.name])).toEqual([
      [1, 'alice'],
      [2, 'alice'],
    ]);
    expect(apiCalls(world, 'createChallenge')).toBe(0);
    expect(apiCalls(world, 'fetchChallenge')).toBe(1);
    // Nothing is left unanswered: the next start is refused before any Twilio call.
    await attacker.post('/logout').expect(200);
    await passwordLogin(attacker, 'alice');
    world.emulator.clearCalls();
    await attacker.post('/login/push/cb').expect(429);
    expect(apiCalls(world)).toBe(0);
    await app.close();
  });

  it('with number matching, only the right code on the phone logs in, and the code is never in details', async () => {
    const app = await world.startApp({ strategy: { numberMatching: { digits: 6 } } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    world.emulator.clearCalls();
    const pending = await agent.post('/login/push').expect(202);
    const matchCode = pending.body.matchCode as string;
    expect(matchCode).toMatch(/^\d{6}$/);

    const [create] = world.emulator.calls({ operation: 'createChallenge' });
    expect(String(create!.params['Details.Message'])).not.toContain(matchCode);
    expect(JSON.stringify(create!.params['Details.Fields'])).not.toContain(matchCode);
    expect(JSON.parse(String(create!.params.HiddenDetails))).toMatchObject({ match_code: matchCode });
    const [challenge] = await phonePending(world, 'bob');
    expect(JSON.stringify(challenge!.details)).not.toContain(matchCode);

    const ref = { ...factorRef(world, 'bob'), challengeSid: challenge!.sid };
    await expect(world.device.approve(ref)).rejects.toMatchObject({ code: 'MATCH_CODE_REQUIRED' });
    const wrong = matchCode === '000000' ? '000001' : '000000';
    await expect(world.device.approve({ ...ref, matchCode: wrong })).rejects.toMatchObject({ code: 'MATCH_CODE_MISMATCH' });
    world.clock.advance(15_000);
    await agent.post('/login/push').expect(202);
    await agent.get('/app/secret').expect(202);

    await world.device.approve({ ...ref, matchCode });
    await world.emulator.webhooksSettled();
    await agent.post('/login/push').expect(200);
    await app.close();
  });
});
