/**
 * A denial recorded just before the store failed (its count and its report cut short) is still counted, and
 * still reported once, when Redis is back: by the next start, which finishes what the failed writer began.
 */
import { describe, expect, it, vi } from 'vitest';
import { INCREMENT } from '../../src/stores/redis/scripts.js';
import { redisAvailable } from '../helpers/redis-available.js';
import { Browser } from './browser.js';
import { useDeploymentsEachOnOwnRedis } from './deployments.js';

const enabled = redisAvailable();
const deployment = useDeploymentsEachOnOwnRedis();

describe.skipIf(!enabled)('a denial count that fails after the denial was recorded', () => {
  it('is still counted once Redis is back (onDenied told once, the limit holds)', async () => {
    const { world } = await deployment({
      proxied: ['A'],
      operationTimeoutMs: 300,
      limits: { denials: { max: 1, windowSeconds: 3600 }, perUser: false, perIp: false, perUserTotal: false },
    });
    const { A, B, C, phone, emulator, admin } = world;
    const denialCounter = `${world.prefix}cnt:denied:${world.identity('bob')}`;
    const browser = new Browser('203.0.113.90');
    await browser.password(C, 'bob');
    expect((await browser.post(B, '/login/push')).status).toBe(202);
    // The webhook on A records the denial; the connection dies just before the count, and stays down.
    const cut = world.proxies.A!.cutBefore(
      (command) => (command[1] === INCREMENT.sha || command[1] === INCREMENT.source) && command[3] === denialCounter,
    );
    world.proxies.A!.refuseConnections();
    await phone.deny('bob');
    await cut;
    expect(emulator.deliveries().map((delivery) => delivery.status)).toEqual([503]);
    world.proxies.A!.acceptConnections();
    await vi.waitFor(async () => expect((await world.health(A)).redis).toBe('up'), { timeout: 10_000, interval: 100 });
    expect((await browser.post(C, '/login/push')).body.code).toBe('CHALLENGE_DENIED');
    const next = new Browser('203.0.113.90');
    await next.password(A, 'bob');
    const answer = await next.post(B, '/login/push');
    await world.sync();
    expect(await admin.hGet(denialCounter, 'c')).toBe('1');
    expect(world.denials.map((denial) => denial.count)).toEqual([1]);
    expect(answer.status).toBe(429);
  });
});
