/**
 * A private redis-server for one benchmark: loopback, a free port, no persistence (`--save ''
 * --appendonly no`, so no fork for snapshots lands in a measurement), stopped by its own process id.
 * A benchmark that needs Redis fails loudly without redis-server rather than printing figures it did not measure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? 'redis-server';

export interface BenchRedis {
  url: string;
  port: number;
  pid: number;
  /** The server's version line, for the report. */
  version: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function untilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!output.includes('Ready to accept connections')) return;
      child.stdout?.off('data', onData);
      // Keep draining the pipes so the server never blocks on a full one.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve();
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited early (${code}): ${output.slice(-500)}`)));
    child.once('error', reject);
  });
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`"${REDIS_SERVER} --version" failed: install redis-server or set REDIS_SERVER_PATH`);
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid ?? -1;
  // A benchmark that crashes must not leave its server behind.
  const orphanGuard = (): void => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', orphanGuard);
  await untilReady(child);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    version: probe.stdout.trim(),
    stop() {
      process.off('exit', orphanGuard);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        process.kill(pid, 'SIGTERM');
      });
    },
  };
}
