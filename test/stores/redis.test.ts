/**
 * RedisChallengeStore against a real redis-server, through every supported client: the shipped ChallengeStore
 * contract with the strategy's kind of clock (moved by the test) and, for one client, with the real clock.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisChallengeStore } from '../../src/stores/redis/index.js';
import { redisAvailable } from '../helpers/redis-available.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';
import { describeChallengeStoreContract } from './contract.js';
import { CLIENTS, type TestClient } from './redis-clients.js';

const enabled = redisAvailable();
let redis: RunningRedis;
const opened: TestClient[] = [];

beforeAll(async () => {
  if (enabled) redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
  await redis?.stop();
});

function uniquePrefix(): string {
  return `test-${randomBytes(6).toString('hex')}:`;
}

describe.skipIf(!enabled)('RedisChallengeStore', () => {
  for (const { name, connect } of CLIENTS) {
    describeChallengeStoreContract(`Redis via ${name}, moved clock`, async () => {
      const client = await connect(redis.url);
      opened.push(client);
      let now = 1_900_000_000_000;
      const store = await RedisChallengeStore.create({ client: client.client, prefix: uniquePrefix(), clock: () => now });
      return {
        store,
        now: () => now,
        advance: async (ms) => void (now += ms),
        dispose: () => client.close(),
      };
    });
  }

  describeChallengeStoreContract('Redis via node-redis 6, real clock', async () => {
    const client = await CLIENTS[0]!.connect(redis.url);
    opened.push(client);
    const store = await RedisChallengeStore.create({ client: client.client, prefix: uniquePrefix() });
    return {
      store,
      now: Date.now,
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      dispose: () => client.close(),
    };
  });

  it('refuses something that is not a Redis client, naming the option', async () => {
    await expect(RedisChallengeStore.create({ client: {} })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('`client`') });
    await expect(RedisChallengeStore.create({ client: undefined })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('closes only its own subscriber connection, never the app client', async () => {
    const client = await CLIENTS[0]!.connect(redis.url);
    opened.push(client);
    const store = await RedisChallengeStore.create({ client: client.client, prefix: uniquePrefix() });
    await store.close();
    const app = client.client as { isOpen: boolean; ping(): Promise<string> };
    expect(app.isOpen).toBe(true);
    expect(await app.ping()).toBe('PONG');
  });
});
