/** SECURITY.md: challenge binding, time, denial and races. */
import { describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeStore } from '../../src/stores/types.js';
import {
  agentFor,
  answerOnPhone,
  factorRef,
  passwordLogin,
  phonePending,
  sessionCookie,
  READING_TIME_MS,
  VERSION_MATRIX,
  type User,
  useWorld,
} from './harness.js';

const world = useWorld();

function post(url: string, path: string, cookie: string) {
  return supertest(url).post(path).set('Accept', 'application/json').set('Cookie', cookie);
}

// The binding and race tests go through the custom callback, the gate and session regeneration, so every
// pairing of Express and Passport is tried; the expiry tests below depend on the clock only.
describe.each(VERSION_MATRIX)('challenge binding on Express $express, Passport $passport', (versions) => {
  it('ignores a challenge sid supplied by the client in body, query or header', async () => {
    const app = await world.startApp(versions);
    const alice = agentFor(app);
    await passwordLogin(alice, 'alice');
    await alice.post('/login/push/cb').expect(202);
    const [aliceChallenge] = await phonePending(world, 'alice');

    const bob = agentFor(app);
    await passwordLogin(bob, 'bob');
    const forged = { challengeSid: aliceChallenge!.sid, challenge_sid: aliceChallenge!.sid, sid: aliceChallenge!.sid };
    const started = await bob
      .post(`/login/push/cb?challengeSid=${aliceChallenge!.sid}&sid=${aliceChallenge!.sid}`)
      .set('X-Challenge-Sid', aliceChallenge!.sid)
      .send(forged)
      .expect(202);
    // bob got his own challenge, on his own phone
    const [bobChallenge] = await phonePending(world, 'bob');
    expect(bobChallenge!.hidden_details?.transaction_id).toBe(started.body.transactionId);

    await answerOnPhone(world, 'alice', 'approve');
    await bob.post(`/login/push/cb?challengeSid=${aliceChallenge!.sid}`).set('X-Challenge-Sid', aliceChallenge!.sid).send(forged).expect(202);
    await bob.get('/app/secret').expect(202);
    await alice.post('/login/push/cb').expect(200);
    await app.close();
  });

  it('with two browsers pending for one user, only the newest challenge can complete, only in its own browser', async () => {
    const app = await world.startApp(versions);
    const first = agentFor(app);
    const second = agentFor(app);
    await passwordLogin(first, 'alice');
    await passwordLogin(second, 'alice');
    await first.post('/login/push/cb').expect(202);
    const [older] = await phonePending(world, 'alice');
    await second.post('/login/push/cb').expect(202);
    const [newer] = await phonePending(world, 'alice');
    expect(newer!.sid).not.toBe(older!.sid);

    // Twilio cannot cancel the older push: the phone can still approve it, and it must log nobody in.
    await world.device.approve({ ...factorRef(world, 'alice'), challengeSid: older!.sid });
    await world.emulator.webhooksSettled();
    const superseded = await first.post('/login/push/cb').expect(401);
    expect(superseded.body.code).toBe('CHALLENGE_SUPERSEDED');
    await second.post('/login/push/cb').expect(202);

    await world.device.approve({ ...factorRef(world, 'alice'), challengeSid: newer!.sid });
    await world.emulator.webhooksSettled();
    await second.post('/login/push/cb').expect(200);
    // the first browser must start its own challenge, once its user has read that the old one was replaced
    world.clock.advance(READING_TIME_MS);
    await first.get('/app/secret').expect(202);
    await app.close();
  });

  it('does not complete when the stored transaction id differs from the session one', async () => {
    const inner = new MemoryChallengeStore({ clock: world.clock.now, sweepIntervalMs: 0 });
    let tamper = false;
    const store: ChallengeStore = Object.assign(Object.create(inner) as ChallengeStore, {
      get: async (sid: string) => {
        const record = await inner.get(sid);
        return record && tamper ? { ...record, transactionId: 'another-transaction-id-0000' } : record;
      },
    });
    const app = await world.startApp({ ...versions, store });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push/cb').expect(202);
    await answerOnPhone(world, 'alice', 'approve');
    tamper = true;
    const res = await agent.post('/login/push/cb').expect(401);
    expect(res.body.code).toBe('CHALLENGE_MISMATCH');
    await agent.get('/whoami').expect((r) => expect(r.body.verifyPush).toBeNull());
    await app.close();
  });

  it('a completed challenge cannot complete another session, nor the same user after logout', async () => {
    const app = await world.startApp(versions);
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    const pending = await agent.post('/login/push').expect(202);
    const pendingCookie = sessionCookie(pending);
    await answerOnPhone(world, 'alice', 'approve');
    await agent.post('/login/push').expect(200);

    // the pending session (a second tab, or a copied cookie) is gone
    const replay = await post(app.url, '/login/push/cb', pendingCookie).expect(401);
    expect(replay.body.code).toBe('FIRST_FACTOR_REQUIRED');

    await agent.post('/logout').expect(200);
    await agent.get('/app/secret').expect(401, { code: 'LOGIN_REQUIRED' });
    await passwordLogin(agent, 'alice');
    const again = await agent.post('/login/push').expect(202);
    expect(again.body.transactionId).not.toBe(pending.body.transactionId);
    await agent.get('/app/secret').expect(202);
    await app.close();
  });
});

describe('time', () => {
  it('an approval delivered by webhook after the expiry ends as expired', async () => {
    const app = await world.startApp({ strategy: { expiresInSeconds: 60 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push/cb').expect(202);
    world.emulator.faults.webhooks({ drop: 1 });
    world.clock.advance(50_000);
    await answerOnPhone(world, 'bob', 'approve');
    const delivery = world.emulator.deliveries().filter((d) => d.outcome === 'dropped').at(-1)!;
    world.clock.advance(11_000);
    // Twilio's (late) delivery arrives now, after the expiry
    await supertest(app.url)
      .post('/twilio/verify')
      .type('form')
      .set('X-Twilio-Signature', delivery.signature)
      .send(delivery.params)
      .expect(200);
    const res = await agent.post('/login/push/cb').expect(401);
    expect(res.body.code).toBe('CHALLENGE_EXPIRED');
    await app.close();
  });

  it('an approval noticed by polling after the expiry ends as expired', async () => {
    const app = await world.startApp({ webhook: false, strategy: { expiresInSeconds: 60 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push/cb').expect(202);
    world.clock.advance(59_000);
    await answerOnPhone(world, 'bob', 'approve');
    world.clock.advance(2_000);
    const res = await agent.post('/login/push/cb').expect(401);
    expect(res.body.code).toBe('CHALLENGE_EXPIRED');
    await app.close();
  });

  it('an approval in time is not honoured by a session that comes back long after the expiry', async () => {
    const app = await world.startApp({ strategy: { expiresInSeconds: 60 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push/cb').expect(202);
    await answerOnPhone(world, 'bob', 'approve'); // approved (webhook recorded it) well before the expiry
    world.clock.advance(60_000 + 61_000);
    const res = await agent.post('/login/push/cb').expect(401);
    expect(res.body.code).toBe('CHALLENGE_EXPIRED');
    await agent.get('/app/secret').expect(202); // a new push, not the old approval
    await app.close();
  });

  it('a session that keeps polling still expires', async () => {
    const app = await world.startApp({ webhook: false, strategy: { expiresInSeconds: 30 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    await agent.post('/login/push/cb').expect(202);
    for (let i = 0; i < 14; i += 1) {
      world.clock.advance(2_000);
      await agent.post('/login/push/cb').expect(202);
    }
    world.clock.advance(2_001);
    const res = await agent.post('/login/push/cb').expect(401);
    expect(res.body.code).toBe('CHALLENGE_EXPIRED');
    await app.close();
  });

  it('asks Twilio for the configured expiry (default 5 minutes, cap 10 minutes)', async () => {
    for (const [expiresInSeconds, expected] of [[undefined, 300], [600, 600]] as const) {
      const app = await world.startApp(expiresInSeconds ? { strategy: { expiresInSeconds } } : {});
      const agent = agentFor(app);
      await passwordLogin(agent, 'alice');
      world.emulator.clearCalls();
      const before = world.clock.now();
      await agent.post('/login/push').expect(202);
      const [create] = world.emulator.calls({ operation: 'createChallenge' });
      const asked = Date.parse(String(create!.params.ExpirationDate));
      expect(asked).toBeGreaterThanOrEqual(before + expected * 1000 - 1000);
      expect(asked).toBeLessThanOrEqual(world.clock.now() + expected * 1000);
      await app.close();
    }
  });
});

describe.each(VERSION_MATRIX)('denial and races on Express $express, Passport $passport', (versions) => {
  it('a denied challenge cannot later be flipped to approved', async () => {
    const app = await world.startApp({ ...versions, webhook: false });
    const agent = agentFor(app);
    await passwordLogin(agent, 'bob');
    await agent.post('/login/push/cb').expect(202);
    const challenge = await answerOnPhone(world, 'bob', 'deny');
    await expect(world.device.approve({ ...factorRef(world, 'bob'), challengeSid: challenge.sid })).rejects.toMatchObject({ code: 60322 });
    world.clock.advance(2_000);
    const res = await agent.post('/login/push/cb').expect(401);
    expect(res.body.code).toBe('CHALLENGE_DENIED');
    world.clock.advance(READING_TIME_MS);
    await agent.get('/app/secret').expect(202);
    await app.close();
  });

  it('webhook and polls racing, 50 parallel polls: exactly one login', async () => {
    let logins = 0;
    const verify = (user: User, _challenge: unknown, done: (err: unknown, user?: User) => void): void => {
      logins += 1;
      done(null, user);
    };
    const app = await world.startApp({ ...versions, verify, strategy: { webhookFallbackPollMs: 2_000 } });
    const agent = agentFor(app);
    await passwordLogin(agent, 'alice');
    const pending = await agent.post('/login/push').expect(202);
    const cookie = sessionCookie(pending);
    const [challenge] = await phonePending(world, 'alice');
    world.clock.advance(2_000); // polls may fetch from Twilio too, so poll and webhook really race

    const poll = () => post(app.url, '/login/push', cookie).then((res) => res.status);
    const approve = world.device
      .approve({ ...factorRef(world, 'alice'), challengeSid: challenge!.sid })
      .then(() => world.emulator.webhooksSettled())
      .then(() => 0);
    const firstWave = await Promise.all([approve, ...Array.from({ length: 50 }, poll)]);
    const secondWave = await Promise.all(Array.from({ length: 50 }, poll));
    const statuses = [...firstWave.slice(1), ...secondWave];
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => [200, 202, 409, 302].includes(s))).toBe(true);
    expect(logins).toBe(1);
    // the pending session is gone: its cookie no longer carries anyone
    const whoami = await supertest(app.url).get('/whoami').set('Cookie', cookie).expect(200);
    expect(whoami.body.user).toBeNull();
    await app.close();
  });
});
