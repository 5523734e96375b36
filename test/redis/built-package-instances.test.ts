/**
 * The built package as users run it behind a load balancer: two instances of a CommonJS app, then of an
 * ES-module app, each loading the three entry points (`.`, `/testing`, `/redis`) by the package's name, sharing
 * one real redis-server for sessions (connect-redis) and challenges (RedisChallengeStore). The browser's
 * requests alternate between the instances; the push is started by one and Twilio's webhook reaches the other.
 * (test/package/full-login.test.ts runs the same flow on one instance with the memory store.)
 * Needs `npm run build` first (the pretest script does it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoginFixture } from '../package/login-report.js';
import { redisAvailable } from '../helpers/redis-available.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';

describe.skipIf(!redisAvailable())('the built package on two instances sharing Redis', () => {
  let redis: RunningRedis;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it.each([
    { kind: 'CommonJS', program: 'instances-login.cjs' },
    { kind: 'ES module', program: 'instances-login.mjs' },
  ])('a $kind app: a login whose requests and webhook land on different instances completes', { timeout: 60_000 }, async ({ program }) => {
    const report = await runLoginFixture(program, { REDIS_URL: redis.url });
    expect(report.node).toBe(process.version);
    expect(report.instances).toBe(2);
    expect(report.seen.filter((answer) => answer.status >= 500)).toEqual([]);
    // Round robin: no two requests in a row on the same instance.
    expect(report.seen.map((answer) => answer.instance)).toEqual([0, 1, 0, 1, 0, 1]);

    // Password on instance 0; the gate on instance 1 starts the push; instance 0 sees it pending.
    expect(report.login).toEqual({ status: 302, location: '/account' });
    expect(report.gate).toEqual({ status: 303, location: '/login/push/wait' });
    expect(report.pending.status).toBe(202);
    expect(report.pending.body).toMatchObject({ status: 'pending', code: 'CHALLENGE_PENDING' });
    expect(report.pushesOnPhone).toBe(1);
    // Twilio's webhook reached instance 0, which did not start the push, and was accepted.
    expect(report.webhooks).toEqual([{ type: 'challenge.approved', outcome: 'sent', status: 200 }]);

    // Completion on instance 1, then the protected page on both.
    expect(report.complete).toEqual({ status: 302, location: '/account' });
    expect(report.account).toEqual({ status: 200, body: 'Welcome, alice!' });
    expect(report.again).toEqual({ status: 200, body: 'Welcome, alice!' });
  });
});
