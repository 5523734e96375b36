/**
 * Found by the soak (bench/soak, logins started from two tabs at once): two requests of one session start the
 * push on two instances at the same moment, and the user has one start left. The first spends it and pushes;
 * the second, checking the start limits while the first is still creating the challenge (before the start
 * lock, where it would have found the session's own push to share), is refused 429 RATE_LIMITED "Too many
 * sign-in requests" although its session's push is on its way. A parallel request of one browser served by
 * another instance shares that push (docs/architecture.md): the second should answer pending with it.
 */
import session from 'express-session';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import { sessionCookie, useWorld } from './harness.js';

const world = useWorld();

describe('two instances start the same session push at once, with one start left', () => {
  it('the second shares the first one push instead of refusing the session its own start', async () => {
    const store = new MemoryChallengeStore({ clock: world.clock.now });
    const sessions = new session.MemoryStore();
    const limits = { perUser: { max: 1, windowSeconds: 900 } };
    const a = await world.startApp({ store, sessions, strategy: { limits } });
    const b = await world.startApp({ store, sessions, webhook: false, strategy: { limits, expectWebhooks: true } });
    const cookie = sessionCookie(await supertest(a.url).post('/login').send({ username: 'alice' }).expect(200));

    // Twilio is slow to create the challenge, so the first start is still under way when the second arrives.
    world.emulator.faults.add({ operation: 'createChallenge', kind: 'latency', latencyMs: 600 });
    const first = supertest(a.url).post('/login/push/cb').set('Accept', 'application/json').set('Cookie', cookie).then((res) => res);
    while (world.emulator.calls({ operation: 'createChallenge' }).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await supertest(b.url).post('/login/push/cb').set('Accept', 'application/json').set('Cookie', cookie);
    const firstAnswer = await first;

    expect(firstAnswer.status).toBe(202);
    expect(world.emulator.calls({ operation: 'createChallenge' })).toHaveLength(1);
    expect({ status: second.status, code: second.body.code }).toEqual({ status: 202, code: 'CHALLENGE_PENDING' });
    expect(second.body.transactionId).toBe(firstAnswer.body.transactionId);
  });
});
