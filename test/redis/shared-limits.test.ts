/**
 * Push-fatigue defences across instances: the start limits, the denial count (and `onDenied`, once per
 * denial in whichever instance records it) and the resend allowance live in Redis, so spreading requests
 * over A, B (another process) and C gains an attacker nothing and costs the user nothing extra.
 */
import { describe, expect, it } from 'vitest';
import { redisAvailable } from '../helpers/redis-available.js';
import { Browser } from './browser.js';
import type { Cluster } from './cluster.js';
import { useDeploymentsOnOneRedis } from './deployments.js';

const enabled = redisAvailable();
const deployment = useDeploymentsOnOneRedis();

/** A new browser at `ip` that passed the password step on A. */
async function signedIn(world: Cluster, username: string, ip: string): Promise<Browser> {
  const browser = new Browser(ip);
  await browser.password(world.A, username);
  return browser;
}

describe.skipIf(!enabled)('start limits hold across instances', () => {
  it('per user and address: of four starts at once on A, B, C and A, two get a push and two are refused', async () => {
    const world = await deployment({
      limits: { perUser: { max: 2, windowSeconds: 900 }, perIp: { max: 10, windowSeconds: 900 }, perUserTotal: false, denials: false },
    });
    const { A, B, C } = world;
    const browsers = await Promise.all([1, 2, 3, 4].map(() => signedIn(world, 'alice', '203.0.113.7')));
    const answers = await Promise.all([A, B, C, A].map((instance, i) => browsers[i]!.post(instance, '/login/push')));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([202, 202, 429, 429]);
    for (const refused of answers.filter((answer) => answer.status === 429)) {
      expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^Too many sign-in requests\. Try again in 15 minutes\.$/) });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(world.apiCalls('createChallenge')).toBe(2);

    // Another instance later: still refused. Another address of the same user: not affected.
    expect((await (await signedIn(world, 'alice', '203.0.113.7')).post(B, '/login/push')).status).toBe(429);
    expect((await (await signedIn(world, 'alice', '203.0.113.99')).post(C, '/login/push')).status).toBe(202);
    expect(world.apiCalls('createChallenge')).toBe(3);
  });

  it('per address, all users together: the fourth start from one address is refused on whichever instance it lands', async () => {
    const world = await deployment({
      limits: { perIp: { max: 3, windowSeconds: 900 }, perUser: { max: 5, windowSeconds: 900 }, perUserTotal: false, denials: false },
    });
    const { A, B, C } = world;
    const ip = '192.0.2.44';
    expect((await (await signedIn(world, 'alice', ip)).post(A, '/login/push')).status).toBe(202);
    expect((await (await signedIn(world, 'alice', ip)).post(B, '/login/push')).status).toBe(202);
    expect((await (await signedIn(world, 'bob', ip)).post(C, '/login/push')).status).toBe(202);
    const refused = await (await signedIn(world, 'bob', ip)).post(B, '/login/push');
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    expect((await (await signedIn(world, 'bob', ip)).post(A, '/login/push')).status).toBe(429);
    expect(world.apiCalls('createChallenge')).toBe(3);
    // Bob from his own address is not held back by what happened at the shared one.
    expect((await (await signedIn(world, 'bob', '192.0.2.45')).post(C, '/login/push')).status).toBe(202);
  });
});

describe.skipIf(!enabled)('denials are counted once, by whichever instance records them', () => {
  it('a webhook on A, a poll on B and a start on C each record one denial; onDenied runs once per denial; the fourth start is refused', async () => {
    const world = await deployment({
      limits: { denials: { max: 3, windowSeconds: 3600 }, perUser: false, perIp: false, perUserTotal: false },
      // Instances that expect webhooks still ask Twilio every second (of the moved clock) in case one is lost.
      pollIntervalMs: 1000,
      webhookFallbackPollMs: 1000,
    });
    const { A, B, C, phone, emulator } = world;
    const ip = '198.51.100.23';

    // 1. Denied with the webhook delivered twice to A, while waiting pages on B and C ask Twilio at the same
    // moment (their fetch is due). Waiting pages never write the session, so the browser's own next request
    // still finds its challenge.
    const first = await signedIn(world, 'alice', ip);
    expect((await first.post(B, '/login/push')).status).toBe(202);
    await world.advance(1500);
    emulator.faults.webhooks({ duplicate: 1 });
    const [, onB, onC] = await Promise.all([
      phone.deny('alice'),
      first.get(B, '/login/push/events'),
      first.get(C, '/login/push/events'),
    ]);
    expect([onB.body.state, onC.body.state]).toEqual(['denied', 'denied']);
    const firstAnswer = await first.post(C, '/login/push');
    expect(firstAnswer.status).toBe(401);
    expect(firstAnswer.body.code).toBe('CHALLENGE_DENIED');
    await world.sync();
    expect(world.denials.map((denial) => denial.count)).toEqual([1]);
    expect(emulator.deliveries().filter((delivery) => delivery.duplicate && delivery.status === 200).length).toBeGreaterThanOrEqual(1);

    // 2. The webhook is lost; B's poll (another process) learns of the denial from Twilio.
    const second = await signedIn(world, 'alice', ip);
    expect((await second.post(C, '/login/push')).status).toBe(202);
    emulator.faults.webhooks({ drop: 1 });
    await phone.deny('alice');
    await world.advance(1500);
    const secondAnswer = await second.post(B, '/login/push');
    expect(secondAnswer.status).toBe(401);
    expect(secondAnswer.body.code).toBe('CHALLENGE_DENIED');
    await world.sync();
    expect(world.denials.slice(1)).toEqual([{ instance: 'B', identity: world.identity('alice'), count: 2, limit: 3 }]);

    // 3. The webhook is lost and nobody asks; the next start, on C, asks Twilio, counts it and is refused.
    const third = await signedIn(world, 'alice', ip);
    expect((await third.post(A, '/login/push')).status).toBe(202);
    emulator.faults.webhooks({ drop: 1 });
    await phone.deny('alice');
    const fourth = await (await signedIn(world, 'alice', ip)).post(C, '/login/push');
    expect(fourth.status).toBe(429);
    expect(fourth.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^Too many sign-in requests were denied on your phone\./) });
    await world.sync();
    expect(world.denials.slice(2)).toEqual([{ instance: 'C', identity: world.identity('alice'), count: 3, limit: 3 }]);

    // The third browser learns of its denial wherever it asks, without another count; every instance refuses.
    expect((await third.post(B, '/login/push')).body.code).toBe('CHALLENGE_DENIED');
    expect((await (await signedIn(world, 'alice', ip)).post(B, '/login/push')).status).toBe(429);
    expect((await (await signedIn(world, 'alice', '198.51.100.24')).post(A, '/login/push')).status).toBe(429);
    await world.sync();
    expect(world.denials.map((denial) => denial.count)).toEqual([1, 2, 3]);
    expect(emulator.deliveries().filter((delivery) => delivery.outcome === 'dropped')).toHaveLength(2);
    expect(world.apiCalls('createChallenge')).toBe(3);
  });
});

describe.skipIf(!enabled)('the resend allowance holds across instances', () => {
  it('two resends in all, one after another on B, C and A', async () => {
    const world = await deployment({});
    const { A, B, C } = world;
    const browser = await signedIn(world, 'alice', '203.0.113.50');
    expect((await browser.post(A, '/login/push')).status).toBe(202);
    world.emulator.clearCalls();
    expect(await browser.post(B, '/login/push/resend')).toMatchObject({ status: 200, body: { sent: true, remaining: 1 } });
    expect(await browser.post(C, '/login/push/resend')).toMatchObject({ status: 200, body: { sent: true, remaining: 0 } });
    const refused = await browser.post(A, '/login/push/resend');
    expect(refused).toMatchObject({ status: 429, body: { error: 'RATE_LIMITED' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(world.apiCalls('createNotification')).toBe(2);
  });

  it('two resends in all when four are asked at once on A, B, C and B', async () => {
    const world = await deployment({});
    const { A, B, C } = world;
    const browser = await signedIn(world, 'bob', '203.0.113.51');
    expect((await browser.post(C, '/login/push')).status).toBe(202);
    world.emulator.clearCalls();
    const answers = await Promise.all([A, B, C, B].map((instance) => browser.copy().post(instance, '/login/push/resend')));
    const sent = answers.filter((answer) => answer.status === 200);
    expect(sent.map((answer) => answer.body.remaining).sort()).toEqual([0, 1]);
    expect(answers.filter((answer) => answer.status === 429).map((answer) => answer.body)).toEqual([{ error: 'RATE_LIMITED' }, { error: 'RATE_LIMITED' }]);
    expect(world.apiCalls('createNotification')).toBe(2);
  });
});
