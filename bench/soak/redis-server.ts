/**
 * The soak's redis-server: loopback, a free port, no persistence (a restart loses every key, as the soak
 * intends), stopped (SIGSTOP) and continued, killed and started again on the same port, always by its own
 * process id. A guard kills it if the soak process exits without stopping it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';

const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? 'redis-server';

export interface SoakRedis {
  url: string;
  port: number;
  readonly pid: number;
  pause(): void;
  resume(): void;
  /** SIGKILL, then a fresh server on the same port: every key is gone. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }).status === 0;
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!output.includes('Ready to accept connections')) return;
      child.stdout?.off('data', onData);
      // Keep draining both pipes so the server never blocks writing its log.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve(child);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited early (${code}): ${output.slice(-300)}`)));
    child.once('error', reject);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startSoakRedis(): Promise<SoakRedis> {
  if (!redisServerAvailable()) throw new Error(`"${REDIS_SERVER} --version" failed: install redis-server or set REDIS_SERVER_PATH`);
  const port = await freePort();
  let child = await launch(port);
  const signal = (name: NodeJS.Signals): void => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, name);
  };
  const guard = (): void => signal('SIGKILL');
  process.on('exit', guard);
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
      await exited(child);
      child = await launch(port);
    },
    async stop() {
      process.off('exit', guard);
      signal('SIGCONT');
      signal('SIGTERM');
      await exited(child);
    },
  };
}
