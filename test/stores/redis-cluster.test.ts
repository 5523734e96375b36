/**
 * RedisChallengeStore on a real three-shard Redis Cluster, through node-redis's createCluster and ioredis'
 * Cluster: every atomic step is one script on one key, so records, pointers, counters and claims spread over
 * the shards and the contract holds without hash tags; notifications published inside the scripts reach a
 * subscriber connected to any node.
 */
import { randomBytes } from 'node:crypto';
import { createClient, createCluster } from 'redis';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisChallengeStore } from '../../src/stores/redis/index.js';
import { redisAvailable } from '../helpers/redis-available.js';
import { startRedisCluster, type RunningRedisCluster } from '../helpers/redis-cluster.js';
import { describeChallengeStoreContract } from './contract.js';

const enabled = redisAvailable();
let cluster: RunningRedisCluster;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (enabled) cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await cluster?.stop();
});

function movedClock(): { now: () => number; advance: (ms: number) => Promise<void> } {
  let now = 1_900_000_000_000;
  return { now: () => now, advance: async (ms) => void (now += ms) };
}

describe.skipIf(!enabled)('RedisChallengeStore on Redis Cluster', () => {
  it('spreads one user\'s pointer and counters over every shard, with no hash tags', async () => {
    const client = createCluster({ rootNodes: cluster.nodes.map((node) => ({ url: node.url })) });
    client.on('error', () => undefined);
    await client.connect();
    closers.push(async () => void (client.isOpen && client.destroy()));
    const prefix = `spread-${randomBytes(4).toString('hex')}:`;
    const store = await RedisChallengeStore.create({ client, prefix });
    for (let i = 0; i < 30; i += 1) {
      await store.swapActive(`identity-${i}`, `YC${String(i).padStart(32, '0')}`, 60_000);
      await store.increment(`start:user:identity-${i}`, 60_000, `op-${i}`);
    }

    // KEYS on one node of a cluster lists that node's keys only.
    const perNode: string[][] = [];
    for (const node of cluster.nodes) {
      const single = createClient({ url: node.url });
      await single.connect();
      perNode.push(await single.keys(`${prefix}*`));
      single.destroy();
    }
    expect(perNode.flat()).toHaveLength(60);
    for (const keys of perNode) expect(keys.length).toBeGreaterThan(0);
    expect(perNode.flat().filter((key) => key.includes('{'))).toEqual([]);
    await store.close();
  });

  describeChallengeStoreContract('Redis Cluster via node-redis createCluster', async () => {
    const client = createCluster({ rootNodes: cluster.nodes.map((node) => ({ url: node.url })) });
    client.on('error', () => undefined);
    await client.connect();
    const close = async (): Promise<void> => {
      if (client.isOpen) client.destroy();
    };
    closers.push(close);
    const clock = movedClock();
    const store = await RedisChallengeStore.create({ client, prefix: `cluster-${randomBytes(4).toString('hex')}:`, clock: clock.now });
    return { store, ...clock, dispose: close };
  });

  describeChallengeStoreContract('Redis Cluster via ioredis Cluster', async () => {
    const client = new Cluster(cluster.nodes.map((node) => ({ host: node.host, port: node.port })));
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
    });
    const close = async (): Promise<void> => void client.disconnect();
    closers.push(close);
    const clock = movedClock();
    const store = await RedisChallengeStore.create({ client, prefix: `cluster-${randomBytes(4).toString('hex')}:`, clock: clock.now });
    return { store, ...clock, dispose: close };
  });
});
