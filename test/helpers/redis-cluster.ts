import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRedis, type RunningRedis } from './redis-server.js';

export interface RunningRedisCluster {
  /** One seed node per shard, as clients take them. */
  nodes: Array<{ host: string; port: number; url: string }>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/**
 * A three-shard Redis Cluster on loopback (no replicas, no persistence): three private servers from
 * redis-server.ts joined by redis-cli's cluster helper, for checking that every atomic step of the store
 * touches one key and so works without hash tags.
 */
export async function startRedisCluster(): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'verify-push-cluster-'));
  const servers: RunningRedis[] = [];
  try {
    for (let i = 0; i < 3; i += 1) {
      servers.push(
        await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${i}.conf`), '--dir', dir]),
      );
    }
    const cli = process.env.REDIS_CLI_PATH ?? 'redis-cli';
    await run(cli, ['--cluster', 'create', ...servers.map((server) => `127.0.0.1:${server.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    // The nodes agree on the slot map a moment after the create command returns.
    for (let attempt = 0; ; attempt += 1) {
      const states = await Promise.all(
        servers.map(async (server) => (await run(cli, ['-p', String(server.port), 'cluster', 'info'])).stdout),
      );
      if (states.every((state) => state.includes('cluster_state:ok'))) break;
      if (attempt > 100) throw new Error('the test Redis Cluster never became ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port, url: server.url })),
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
