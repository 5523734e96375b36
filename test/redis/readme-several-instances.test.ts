/**
 * The README's "Running several instances" samples, run as a user's code against a redis-server of the test's
 * own: the quick start on Redis (node-redis shared by connect-redis and the challenge store) logs a user in
 * through the emulator, and with Redis hung (SIGSTOP) both clients' settings give errors instead of hanging, the
 * store fails with STORE_ERROR, and everything works again once Redis resumes. The samples import the package
 * by its name: this file needs `npm run build` first.
 */
import { createHmac } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisAvailable } from '../helpers/redis-available.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';
import { startReadmeApp, type RunningReadmeApp } from '../readme/readme-app-server.js';
import { readmeBlock, writeGenerated } from '../readme/readme-blocks.js';

const IDENTITY_SECRET = 'readme-several-instances-identity-secret-0123456789';

interface CodedError {
  code?: unknown;
}

/** Turns an answer that never comes into a failure that says so (a hang is what these settings prevent). */
function settled<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms: a hang`)), ms)),
  ]);
}

async function rejection(promise: Promise<unknown>, what: string): Promise<CodedError> {
  return settled(
    promise.then(
      () => {
        throw new Error(`${what} succeeded against a hung Redis`);
      },
      (error: unknown) => (error ?? {}) as CodedError,
    ),
    what,
  );
}

describe.skipIf(!redisAvailable())('README: running several instances', () => {
  let redis: RunningRedis;

  beforeAll(async () => {
    redis = await startRedis();
    process.env.REDIS_URL = redis.url;
  });

  afterAll(async () => {
    redis.resume();
    await redis?.stop();
  });

  describe('the quick start on node-redis, sessions and challenges on one client', () => {
    let running: RunningReadmeApp<{
      app: RequestListener;
      redis: { get(key: string): Promise<unknown>; destroy(): void };
      store: { get(sid: string): Promise<unknown>; close(): Promise<void> };
    }>;

    beforeAll(async () => {
      running = await startReadmeApp('several-instances', IDENTITY_SECRET);
    });

    afterAll(async () => {
      await running?.sample.store.close();
      running?.sample.redis.destroy();
      await running?.close();
    });

    it('logs a user in with the session and the challenge in Redis; a hung Redis gives errors, never a hang', { timeout: 60_000 }, async () => {
      const { emulator, server, sample } = running;
      const identity = createHmac('sha256', IDENTITY_SECRET).update('7').digest('hex');
      const serviceSid = process.env.TWILIO_VERIFY_SERVICE_SID!;
      const phone = emulator.device();
      const { factorSid } = await phone.register({ serviceSid, identity });
      const agent = request.agent(server);

      await agent.post('/login').type('form').send({ username: 'ada', password: 'correct horse' }).expect(302).expect('Location', '/account');
      await agent.get('/account').expect(303).expect('Location', '/login/push/wait');
      const [challenge] = await phone.challenges({ serviceSid, identity, factorSid, status: 'pending' });
      expect(challenge).toBeDefined();
      // The challenge lives in Redis, where every instance finds it.
      expect(await sample.store.get(challenge!.sid)).toMatchObject({ challengeSid: challenge!.sid, status: 'pending' });
      await phone.approve({ serviceSid, identity, factorSid, challengeSid: challenge!.sid });
      await emulator.webhooksSettled();
      await agent.get('/account').expect(200, 'Welcome!');

      redis.pause();
      try {
        // The session store's command fails once the connection has been silent for socketTimeout.
        const answer = await settled(agent.get('/account').then((response) => response), 'a request needing the session');
        expect(answer.status).toBeGreaterThanOrEqual(500);
        expect(answer.text).not.toBe('Welcome!');
        // While the client reconnects, commands fail at once instead of queueing (disableOfflineQueue).
        await rejection(sample.redis.get('anything'), 'a node-redis command');
        // The store's own deadline: STORE_ERROR, never a hang.
        expect((await rejection(sample.store.get(challenge!.sid), 'a store read')).code).toBe('STORE_ERROR');
      } finally {
        redis.resume();
      }
      // The client reconnects by itself (its reconnect strategy), and the same session works again.
      await vi.waitFor(() => agent.get('/account').expect(200, 'Welcome!'), { timeout: 15_000, interval: 250 });
    });
  });

  describe('ioredis', () => {
    let sample: { redis: { get(key: string): Promise<unknown>; disconnect(): void }; store: { count(key: string): Promise<unknown>; close(): Promise<void> } };

    beforeAll(async () => {
      const file = writeGenerated('readme/redis-ioredis.ts', readmeBlock('redis-ioredis'));
      sample = (await import(pathToFileURL(file).href)) as typeof sample;
    });

    afterAll(async () => {
      await sample?.store.close();
      sample?.redis.disconnect();
    });

    it('with these options a hung Redis gives errors, and the store works again once it resumes', { timeout: 60_000 }, async () => {
      expect(await sample.store.count('readme:ioredis')).toMatchObject({ count: 0 });
      redis.pause();
      try {
        // commandTimeout: a command without an answer fails.
        await rejection(sample.redis.get('anything'), 'an ioredis command');
        expect((await rejection(sample.store.count('readme:ioredis'), 'a store read')).code).toBe('STORE_ERROR');
      } finally {
        redis.resume();
      }
      await vi.waitFor(async () => expect(await sample.store.count('readme:ioredis')).toMatchObject({ count: 0 }), { timeout: 15_000, interval: 250 });
    });
  });
});
