/**
 * Messages lost between an instance and Redis, under a deployment of three instances (B in another process),
 * each test on its own redis-server. A pub/sub message lost while a page waits still reaches the page (the
 * store reads the challenge again once its subscriber is back). A reply lost on the wire after the command ran
 * (a proxy swallows it and cuts the connection) is retried by the store with the same write id or operation
 * id: one login, one count, and the user is never stuck.
 */
import { describe, expect, it, vi } from 'vitest';
import { redisAvailable } from '../helpers/redis-available.js';
import { eventData, openSse } from '../events/sse-client.js';
import { COMPARE_AND_SET, INCREMENT, type Script } from '../../src/stores/redis/scripts.js';
import { Browser } from './browser.js';
import type { Cluster } from './cluster.js';
import { useDeploymentsEachOnOwnRedis, type DeploymentChoices } from './deployments.js';

const enabled = redisAvailable();
const deploymentOnOwnRedis = useDeploymentsEachOnOwnRedis();

async function deployment(choices: DeploymentChoices): Promise<Cluster> {
  return (await deploymentOnOwnRedis(choices)).world;
}

/** Whether a command runs `script` (by its sha, or in full when Redis did not know it yet). */
function runs(script: Script, command: string[]): boolean {
  return (command[0] === 'EVALSHA' && command[1] === script.sha) || (command[0] === 'EVAL' && command[1] === script.source);
}

/** A command's key: every script call is `EVALSHA <sha> 1 <key> ...`. */
function keyOf(command: string[]): string | undefined {
  return command[3];
}

describe.skipIf(!enabled)('a pub/sub message lost while a page waits', () => {
  it("still completes the SSE page on B: B's subscriber, back after the loss, reads the challenge again", async () => {
    const world = await deployment({
      proxied: ['B'],
      // Nothing but the store's own re-read may tell the page: no timed re-read, no Twilio fallback fetch.
      events: { heartbeatMs: 60_000 },
      webhookFallbackPollMs: 600_000,
    });
    const { A, B, C, phone, emulator, admin } = world;
    const browser = new Browser();
    await browser.password(A, 'alice');
    expect((await browser.post(C, '/login/push')).status).toBe(202);
    const stream = await openSse(`${B.url}/login/push/events`, { cookie: browser.cookie });
    expect(await eventData(stream, 0)).toMatchObject({ state: 'pending' });

    // Every store subscriber is killed from another connection; B cannot reach Redis again for now.
    world.proxies.B!.refuseConnections();
    expect(await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])).toBe(3);
    await vi.waitFor(async () => expect(await world.subscribers()).toBe(2), { timeout: 10_000, interval: 50 });

    // The webhook lands on A meanwhile: A records the approval and publishes it, and B's subscriber misses it.
    emulator.clearCalls();
    await phone.approve('alice');
    expect(emulator.deliveries().every((delivery) => delivery.status === 200)).toBe(true);
    expect(stream.messages()).toHaveLength(1);

    world.proxies.B!.acceptConnections();
    expect(await eventData(stream, 1)).toMatchObject({ state: 'approved' });
    await stream.ended;
    expect(await world.subscribers()).toBe(3);
    // B learnt it from Redis, not from Twilio: the only fetch is the one of A's webhook handler.
    expect(world.apiCalls('fetchChallenge')).toBe(1);
    expect((await browser.post(B, '/login/push')).body).toEqual({ loggedIn: 'alice', instance: 'B' });
  });
});

describe.skipIf(!enabled)('a reply lost on the wire after the command ran', () => {
  it('of the compare-and-set that uses the approval: the retry (same write id) logs the user in, once', async () => {
    const world = await deployment({ proxied: ['C'] });
    const { A, B, C, phone } = world;
    const browser = new Browser();
    await browser.password(A, 'alice');
    expect((await browser.post(B, '/login/push')).status).toBe(202);
    await phone.approve('alice');

    // The completion on C: its compare-and-set approved → completed runs, the reply is lost, the connection dies.
    const dropped = world.proxies.C!.dropReplyOf((command) => runs(COMPARE_AND_SET, command) && command[5] === 'approved');
    const answer = await browser.post(C, '/login/push');
    expect((await dropped).command[5]).toBe('approved');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ loggedIn: 'alice', instance: 'C' });
    expect(world.proxies.C!.droppedReplies).toHaveLength(1);

    expect((await browser.get(A, '/app/secret')).body).toMatchObject({ user: 'alice' });
    await world.sync();
    expect(world.logins).toEqual([{ instance: 'C', user: 'alice', challengeSid: expect.stringMatching(/^YC/) }]);
  });

  it('of the denial count: the retry (same operation id) counts the denial once and onDenied runs once', async () => {
    const world = await deployment({
      proxied: ['A'],
      limits: { denials: { max: 2, windowSeconds: 3600 }, perUser: false, perIp: false, perUserTotal: false },
    });
    const { A, B, C, phone, emulator, admin } = world;
    const identity = world.identity('bob');
    const denialCounter = `${world.prefix}cnt:denied:${identity}`;
    const browser = new Browser('203.0.113.80');
    await browser.password(C, 'bob');
    expect((await browser.post(B, '/login/push')).status).toBe(202);

    // A's webhook records the denial and counts it; the count's reply is lost and A's connection dies.
    const dropped = world.proxies.A!.dropReplyOf((command) => runs(INCREMENT, command) && keyOf(command) === denialCounter);
    await phone.deny('bob');
    expect(keyOf((await dropped).command)).toBe(denialCounter);
    expect(emulator.deliveries().map((delivery) => delivery.status)).toEqual([200]);
    expect(await admin.hGet(denialCounter, 'c')).toBe('1');
    expect(world.denials).toEqual([{ instance: 'A', identity, count: 1, limit: 2 }]);
    expect((await browser.post(C, '/login/push')).body.code).toBe('CHALLENGE_DENIED');

    // One denial counted, not two: one more push may still be denied before new starts are refused.
    const second = new Browser('203.0.113.80');
    await second.password(A, 'bob');
    expect((await second.post(C, '/login/push')).status).toBe(202);
    await phone.deny('bob');
    const refused = await (async () => {
      const third = new Browser('203.0.113.80');
      await third.password(B, 'bob');
      return third.post(A, '/login/push');
    })();
    expect(refused.status).toBe(429);
    await world.sync();
    expect(world.denials.map((denial) => denial.count)).toEqual([1, 2]);
  });

  it('of a start counter: the retry (same operation id) spends one start, not two', async () => {
    const world = await deployment({
      proxied: ['C'],
      limits: { perIp: { max: 2, windowSeconds: 900 }, perUser: false, perUserTotal: false, denials: false },
    });
    const { A, B, C, admin } = world;
    const ip = '198.51.100.77';
    const ipCounter = `${world.prefix}cnt:start:ip:${ip}`;
    const first = new Browser(ip);
    await first.password(A, 'alice');
    const dropped = world.proxies.C!.dropReplyOf((command) => runs(INCREMENT, command) && keyOf(command) === ipCounter);
    expect((await first.post(C, '/login/push')).status).toBe(202);
    expect(keyOf((await dropped).command)).toBe(ipCounter);
    expect(await admin.hGet(ipCounter, 'c')).toBe('1');
    expect(world.apiCalls('createChallenge')).toBe(1);

    // The address has one start left, on any instance; then it is refused.
    const second = new Browser(ip);
    await second.password(C, 'bob');
    expect((await second.post(B, '/login/push')).status).toBe(202);
    const third = new Browser(ip);
    await third.password(B, 'bob');
    expect((await third.post(A, '/login/push')).status).toBe(429);
    expect(world.apiCalls('createChallenge')).toBe(2);
  });
});
