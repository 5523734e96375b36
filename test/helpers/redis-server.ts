/**
 * A private redis-server, the one launcher of the tests, the benchmarks and the soak: loopback, a free port, no
 * persistence (`--save '' --appendonly no`: no snapshot fork lands in a measurement, and a restart loses every
 * key, as the soak intends), signalled only by its own process id, never by a blanket kill. It fails loudly
 * when redis-server cannot run; the tests ask redisAvailable() first, to skip loudly instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.js';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? 'redis-server';

let versionLine: string | null | undefined;

/** The `redis-server --version` line, or undefined when redis-server cannot be run; asked once per process. */
export function redisServerVersion(): string | undefined {
  if (versionLine === undefined) {
    const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
    versionLine = probe.status === 0 ? probe.stdout.trim() : null;
  }
  return versionLine ?? undefined;
}

export interface RunningRedis {
  url: string;
  port: number;
  /** The running server's process id: a new one after restart(). */
  readonly pid: number;
  /** The server's version line, for reports. */
  version: string;
  /** SIGSTOP: the server hangs, connections stay open and nothing answers. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** SIGKILL, then a fresh server on the same port: every key is gone. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function launch(port: number, extraArgs: string[]): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...extraArgs],
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
    child.once('exit', (code) => reject(new Error(`redis-server exited early (${code}): ${output.slice(-500)}`)));
    child.once('error', reject);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a private redis-server, with extra command-line arguments if given; call stop() when done. */
export async function startRedis(extraArgs: string[] = []): Promise<RunningRedis> {
  const version = redisServerVersion();
  if (version === undefined) throw new Error(`"${REDIS_SERVER} --version" failed: install redis-server or set REDIS_SERVER_PATH`);
  const port = await freePort();
  let child = await launch(port, extraArgs);
  const signal = (name: NodeJS.Signals): void => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, name);
  };
  // A caller that crashes or exits without stop() must not leave its server behind.
  const orphanGuard = (): void => signal('SIGKILL');
  process.on('exit', orphanGuard);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    version,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async restart() {
      signal('SIGCONT');
      signal('SIGKILL');
      await exited(child);
      child = await launch(port, extraArgs);
    },
    async stop() {
      process.off('exit', orphanGuard);
      signal('SIGCONT');
      signal('SIGTERM');
      await exited(child);
    },
  };
}
