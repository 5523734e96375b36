/**
 * How a test file gets its deployments of three instances (cluster.ts), each closed after its test:
 * - on one redis-server for the whole file (tests that leave Redis alone; each deployment has its own key prefix);
 * - on a redis-server of each test's own (tests that hang, cut or restart Redis, which must not reach the next test).
 * Call one of them at the top of a test file: it registers the file's hooks and returns the function that deploys.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { redisAvailable } from '../helpers/redis-available.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';
import { startCluster, type Cluster, type ClusterOptions } from './cluster.js';

export type DeploymentChoices = Omit<ClusterOptions, 'redis'>;

/** Deployments on one redis-server started before the file's tests (none when there is no redis-server). */
export function useDeploymentsOnOneRedis(): (choices?: DeploymentChoices) => Promise<Cluster> {
  let redis: RunningRedis | undefined;
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    if (redisAvailable()) redis = await startRedis();
  });
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return async (choices = {}) => {
    if (!redis) throw new Error('a deployment was asked for without a redis-server');
    cluster = await startCluster({ redis, ...choices });
    return cluster;
  };
}

/** Deployments each on a redis-server of its own, stopped after the test; `server` is there to break. */
export function useDeploymentsEachOnOwnRedis(): (choices?: DeploymentChoices) => Promise<{ world: Cluster; server: RunningRedis }> {
  let redis: RunningRedis | undefined;
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
    await redis?.stop();
    redis = undefined;
  });
  return async (choices = {}) => {
    redis = await startRedis();
    cluster = await startCluster({ redis, ...choices });
    return { world: cluster, server: redis };
  };
}
