/**
 * For a describe block about the clustered example: a redis-server of the block's own and the example running
 * as a cluster on it, started before the block's tests and stopped after them (the example first, then Redis).
 */
import { afterAll, beforeAll } from 'vitest';
import { startExampleCluster, type RunningCluster } from './example-cluster.js';
import { startRedis, type RunningRedis } from './redis-server.js';

export interface ExampleClusterOnRedis {
  readonly redis: RunningRedis;
  readonly cluster: RunningCluster;
}

/** Registers the block's hooks; the returned object reads the running Redis and cluster once beforeAll started them. */
export function useExampleClusterOnRedis(workers: number): ExampleClusterOnRedis {
  let redis: RunningRedis | undefined;
  let cluster: RunningCluster | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    cluster = await startExampleCluster({ redisUrl: redis.url, workers });
  });
  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
  });
  return {
    get redis() {
      if (!redis) throw new Error('Redis is used before beforeAll started it');
      return redis;
    },
    get cluster() {
      if (!cluster) throw new Error('the example cluster is used before beforeAll started it');
      return cluster;
    },
  };
}
