/**
 * SECURITY.md, push fatigue: every denial counts, whatever became of its challenge (superseded, expired, or
 * never polled again), with or without a webhook; and someone holding the password cannot lock the owner out
 * with starts alone. The limits are the defaults unless a test says otherwise.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeniedEvent } from '../../src/types.js';
import { agentFor, answerOnPhone, apiCalls, factorRef, passwordLogin, phonePending, type Agent, type TestApp, type User, useWorld } from './harness.js';

const world = useWorld();
// Every test starts after the challenges of the one before have expired: the phone is shared across tests.
beforeEach(() => world.clock.advance(11 * 60_000));
const ATTACKER_IP = '198.51.100.66';
const OWNER_IP = '203.0.113.10';

type Denial = Omit<DeniedEvent<User>, 'req' | 'user'>;

/** The phone denies every request it shows (the worst case for fatigue); resolves with how many it denied. */
async function phoneDeniesAll(username: string): Promise<number> {
  const pending = await phonePending(world, username);
  for (const challenge of pending) await world.device.deny({ ...factorRef(world, username), challengeSid: challenge.sid });
  await world.emulator.webhooksSettled();
  return pending.length;
}

/** A fresh browser that passed the password, then asks for the push: the status of that answer. */
async function start(app: TestApp, username: string, ip: string): Promise<{ agent: Agent; status: number; body: Record<string, unknown> }> {
  const agent = agentFor(app, ip);
  await passwordLogin(agent, username);
  const res = await agent.post('/login/push/cb');
  return { agent, status: res.status, body: res.body as Record<string, unknown> };
}

async function appCountingDenials(webhook: boolean): Promise<{ app: TestApp; denials: Denial[] }> {
  const denials: Denial[] = [];
  const app = await world.startApp({
    webhook,
    strategy: { onDenied: ({ req: _req, user: _user, ...event }) => void denials.push(event) },
  });
  return { app, denials };
}

describe.each([true, false])('denials keep counting (webhook %s)', (webhook) => {
  it('lets no more than 3 denied pushes through in an hour, however the starts are timed', async () => {
    const { app, denials } = await appCountingDenials(webhook);
    let denied = 0;
    let refused = 0;
    // One round every 3 minutes for an hour: two starts in a row (the second supersedes the first), then the
    // phone denies everything it shows. Without counting superseded denials this let 12+ through.
    for (let minute = 0; minute < 60; minute += 3) {
      for (let i = 0; i < 2; i += 1) {
        const started = await start(app, 'alice', ATTACKER_IP);
        if (started.status === 429) refused += 1;
        else expect(started.status).toBe(202);
      }
      denied += await phoneDeniesAll('alice');
      world.clock.advance(3 * 60_000);
    }
    expect(denied).toBe(3);
    expect(refused).toBeGreaterThan(0);
    // Each denial was reported exactly once, found by the webhook or by the next start.
    await start(app, 'alice', ATTACKER_IP);
    expect(denials.map((d) => d.count)).toEqual([1, 2, 3]);
    await app.close();
  });

  it('lets no more than 3 denied pushes through when several browsers start at the same moment', async () => {
    const { app, denials } = await appCountingDenials(webhook);
    let denied = 0;
    for (let round = 0; round < 3; round += 1) {
      const answers = await Promise.all(Array.from({ length: 4 }, () => start(app, 'alice', ATTACKER_IP)));
      expect(answers.every((answer) => answer.status === 202 || answer.status === 429)).toBe(true);
      denied += await phoneDeniesAll('alice');
      world.clock.advance(60_000);
    }
    expect(denied).toBe(3);
    await start(app, 'alice', ATTACKER_IP);
    expect(denials).toHaveLength(3);
    await app.close();
  });

  it('counts the denial of a superseded challenge once, and never logs in on its approval', async () => {
    const { app, denials } = await appCountingDenials(webhook);
    const first = await start(app, 'bob', OWNER_IP);
    const [firstChallenge] = await phonePending(world, 'bob');
    const second = await start(app, 'bob', OWNER_IP);
    expect([first.status, second.status]).toEqual([202, 202]);
    // The phone still shows the superseded request (Twilio cannot cancel it) and the user denies it.
    await world.device.deny({ ...factorRef(world, 'bob'), challengeSid: firstChallenge!.sid });
    await world.emulator.webhooksSettled();
    // With a webhook it is counted now; without one, the next start asks Twilio about it.
    const third = await start(app, 'bob', OWNER_IP);
    expect(third.status).toBe(202);
    expect(denials.map((d) => d.count)).toEqual([1]);
    // Approving a superseded request never logs anyone in.
    const [, secondChallenge] = await phonePending(world, 'bob');
    await world.device.approve({ ...factorRef(world, 'bob'), challengeSid: secondChallenge!.sid });
    await world.emulator.webhooksSettled();
    world.clock.advance(20_000);
    const superseded = await second.agent.post('/login/push/cb').expect(401);
    expect(superseded.body.code).toBe('CHALLENGE_SUPERSEDED');
    await second.agent.get('/app/secret').expect((res) => expect(res.status).not.toBe(200));
    await start(app, 'bob', OWNER_IP);
    expect(denials).toHaveLength(1);
    await app.close();
  });

  it('counts a denial that is noticed only after the challenge expired', async () => {
    const { app, denials } = await appCountingDenials(webhook);
    const waiting = await start(app, 'bob', OWNER_IP);
    world.emulator.faults.webhooks({ drop: 1 });
    world.clock.advance(290_000);
    await answerOnPhone(world, 'bob', 'deny');
    world.clock.advance(20_000);
    // The waiting browser comes back after the expiry: Twilio is asked once more, and the denial is what it hears.
    world.emulator.clearCalls();
    const late = await waiting.agent.post('/login/push/cb').expect(401);
    expect(late.body.code).toBe('CHALLENGE_DENIED');
    expect(apiCalls(world, 'fetchChallenge')).toBe(1);
    expect(denials.map((d) => d.count)).toEqual([1]);
    await app.close();
  });

  it('counts a denial nobody polled, found by the next start even after the expiry', async () => {
    const { app, denials } = await appCountingDenials(webhook);
    await start(app, 'bob', OWNER_IP);
    world.emulator.faults.webhooks({ drop: 1 });
    await answerOnPhone(world, 'bob', 'deny');
    world.clock.advance(400_000);
    expect(denials).toHaveLength(0);
    expect((await start(app, 'bob', OWNER_IP)).status).toBe(202);
    expect(denials.map((d) => d.count)).toEqual([1]);
    await app.close();
  });
});

describe('a password holder cannot lock the owner out with starts alone', () => {
  it('starts from the attacker\'s address never refuse the owner\'s from another address, for two hours', async () => {
    const app = await world.startApp();
    let ownerLogins = 0;
    for (let minute = 0; minute < 120; minute += 5) {
      // The attacker pushes as fast as the limits allow and never answers.
      for (let i = 0; i < 6; i += 1) await start(app, 'alice', ATTACKER_IP);
      const owner = await start(app, 'alice', OWNER_IP);
      expect(owner.status).toBe(202);
      await answerOnPhone(world, 'alice', 'approve');
      await owner.agent.post('/login/push/cb').expect(200);
      await owner.agent.get('/app/secret').expect(200);
      ownerLogins += 1;
      world.clock.advance(5 * 60_000);
    }
    expect(ownerLogins).toBe(24);
    await app.close();
  });

  it('attempts refused by one limit spend no allowance of another', async () => {
    const app = await world.startApp({ strategy: { limits: { perIp: { max: 6, windowSeconds: 900 } } } });
    // The attacker's address spends its per-IP allowance on other accounts ...
    for (let i = 0; i < 5; i += 1) expect((await start(app, 'carol', ATTACKER_IP)).body.code).toBe('NO_PUSH_FACTOR');
    expect((await start(app, 'bob', ATTACKER_IP)).status).toBe(202);
    // ... then hammers the victim: every attempt is refused by the per-IP limit, before any Twilio call.
    world.emulator.clearCalls();
    for (let i = 0; i < 12; i += 1) {
      const refused = await start(app, 'alice', ATTACKER_IP);
      expect(refused.status).toBe(429);
    }
    expect(apiCalls(world)).toBe(0);
    // The owner's own allowance is whole: five sign-ins from her address (the per-user limit), then more from
    // another address up to the overall cap.
    const signIn = async (ip: string): Promise<number> => {
      const owner = await start(app, 'alice', ip);
      if (owner.status !== 202) return owner.status;
      await answerOnPhone(world, 'alice', 'approve');
      await owner.agent.post('/login/push/cb').expect(200);
      return 200;
    };
    for (let i = 0; i < 5; i += 1) expect(await signIn(OWNER_IP)).toBe(200);
    const sixth = await start(app, 'alice', OWNER_IP);
    expect(sixth.status).toBe(429);
    expect(sixth.body.message).toMatch(/^Too many sign-in requests\. Try again in \d+ minutes?\.$/);
    for (let i = 0; i < 5; i += 1) expect(await signIn('203.0.113.11')).toBe(200);
    // The overall cap (10 per 15 minutes) still bounds pushes to one phone, from any address.
    expect((await start(app, 'alice', '203.0.113.12')).status).toBe(429);
    await app.close();
  });

  it('keeps the denial limit: the owner denying pushes locks sign-in, tells the app, and says when to come back', async () => {
    const { app, denials } = await appCountingDenials(true);
    for (let i = 0; i < 3; i += 1) {
      expect((await start(app, 'alice', ATTACKER_IP)).status).toBe(202);
      await answerOnPhone(world, 'alice', 'deny');
      world.clock.advance(60_000);
    }
    expect(denials.map((d) => [d.count, d.limit])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    for (const ip of [ATTACKER_IP, OWNER_IP]) {
      const locked = await start(app, 'alice', ip);
      expect(locked.status).toBe(429);
      expect(locked.body.code).toBe('RATE_LIMITED');
      expect(locked.body.message).toMatch(/^Too many sign-in requests were denied on your phone\. Try again in 5[0-9] minutes\.$/);
    }
    await app.close();
  });
});
