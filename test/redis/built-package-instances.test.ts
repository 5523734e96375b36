/**
 * The built package as users run it behind a load balancer: two instances of a CommonJS app, then of an
 * ES-module app, each loading the three entry points (`.`, `/testing`, `/redis`) by the package's name, sharing
 * one real redis-server for sessions (connect-redis) and challenges (RedisChallengeStore). The browser's
 * requests alternate between the instances; the push is started by one and Twilio's webhook reaches the other.
 * (test/package/full-login.test.ts runs the same flow on one instance with the memory store.)
 * Needs `npm run build` first (the pretest script does it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCompleteLogin, runLoginFixture } from '../package/login-report.js';
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
    expect(report.instances).toBe(2);
    // Round robin: password on instance 0, the gate's push started on 1, pending seen on 0, completion on 1,
    // the protected page on both. Twilio's webhook goes to instance 0, which did not start the push.
    expect(report.seen.map((answer) => answer.instance)).toEqual([0, 1, 0, 1, 0, 1]);
    expectCompleteLogin(report);
  });
});
