/**
 * A real redis-server for the tests, started by the test itself: loopback, a free port, no persistence
 * (`--save '' --appendonly no`), stopped by its process id. Without redis-server the Redis tests skip with a
 * loud warning, unless REQUIRE_REDIS=1 (CI), where a missing server is a failure.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:net';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? 'redis-server';
const REQUIRED = process.env.REQUIRE_REDIS === '1';

let available: boolean | undefined;

/** True when redis-server can be started; throws when the tests must run and it cannot. */
export function redisAvailable(): boolean {
  if (available !== undefined) return available;
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  available = probe.status === 0;
  if (available) return true;
  if (REQUIRED) {
    throw new Error(`REQUIRE_REDIS=1 but "${REDIS_SERVER} --version" failed (install the "redis-server" package or set REDIS_SERVER_PATH).`);
  }
  console.warn(
    `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!! REDIS TESTS SKIPPED: no redis-server on PATH.\n` +
      `!! Install it (apt-get install redis-server) or set REDIS_SERVER_PATH; CI sets REQUIRE_REDIS=1.\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  );
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningRedis {
  url: string;
  port: number;
  pid: number;
  /** SIGSTOP: the server hangs, connections stay open and nothing answers. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Kill and start again on the same port: every key is gone (no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function startProcess(port: number, extraArgs: string[]): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        // Keep draining the pipes so the server never blocks on a full one.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited early (${code}): ${output.slice(-500)}`)));
    child.once('error', reject);
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a private redis-server; call stop() when done (by process id, never a blanket kill). */
export async function startRedis(extraArgs: string[] = []): Promise<RunningRedis> {
  const port = await freePort();
  let child = await startProcess(port, extraArgs);
  const signal = (name: NodeJS.Signals): void => {
    if (child.pid !== undefined) process.kill(child.pid, name);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async restart() {
      signal('SIGCONT');
      signal('SIGKILL');
      await waitForExit(child);
      child = await startProcess(port, extraArgs);
    },
    async stop() {
      signal('SIGCONT');
      signal('SIGTERM');
      await waitForExit(child);
    },
  };
}

export interface RunningRedisCluster {
  /** One seed node per shard, as clients take them. */
  nodes: Array<{ host: string; port: number; url: string }>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/**
 * A three-shard Redis Cluster on loopback (no replicas, no persistence), made with redis-cli's cluster
 * helper, for checking that every atomic step of the store touches one key and so works without hash tags.
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
