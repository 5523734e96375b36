/**
 * The Redis clients the store supports, each connected to a test server: node-redis 6 and 5 (the one
 * connect-redis uses) and ioredis 6 and 5. Every connection gets an 'error' listener (node-redis ends the
 * process without one) and is closed by the test that opened it.
 */
import { createRequire } from 'node:module';
import { createClient } from 'redis';
import { Redis as IoRedis } from 'ioredis';

const require = createRequire(import.meta.url);

export interface TestClient {
  name: string;
  client: unknown;
  close(): Promise<void>;
}

type NodeRedisFactory = typeof createClient;

async function nodeRedis(name: string, factory: NodeRedisFactory, url: string): Promise<TestClient> {
  const client = factory({ url, socket: { connectTimeout: 2000 } });
  client.on('error', () => undefined);
  await client.connect();
  return {
    name,
    client,
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}

async function ioredis(name: string, Constructor: typeof IoRedis, url: string): Promise<TestClient> {
  const client = new Constructor(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  client.on('error', () => undefined);
  await client.connect();
  return { name, client, close: async () => client.disconnect() };
}

export const CLIENTS: ReadonlyArray<{ name: string; connect(url: string): Promise<TestClient> }> = [
  { name: 'node-redis 6', connect: (url) => nodeRedis('node-redis 6', createClient, url) },
  { name: 'node-redis 5', connect: (url) => nodeRedis('node-redis 5', (require('redis5') as { createClient: NodeRedisFactory }).createClient, url) },
  { name: 'ioredis 6', connect: (url) => ioredis('ioredis 6', IoRedis, url) },
  { name: 'ioredis 5', connect: (url) => ioredis('ioredis 5', (require('ioredis5') as { Redis: typeof IoRedis }).Redis, url) },
];
