/**
 * The soak's side of its three app instances, each a child process: started, asked for their stats, killed
 * (SIGKILL, by pid) and started again on the same port, and closed. Events they report go to one callback.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, InstanceConfig, InstanceEvent, InstanceStats } from './instance-config.js';

const ENTRY = fileURLToPath(new URL('./instance-process.ts', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
const CLOSE_GRACE_MS = 5000;

interface Running {
  child: ChildProcess;
  url: string;
  stderr: string;
  /** Set by kill(): an exit we caused is not a crash. */
  killed: boolean;
}

export class InstancePool {
  private readonly running = new Map<string, Running>();
  private readonly waiting = new Map<number, (stats: InstanceStats) => void>();
  private nextId = 0;
  /** Instances that exited without being asked to: each one is a finding, reported by the soak. */
  readonly crashes: Array<{ name: string; code: number | null; signal: string | null; stderr: string }> = [];

  constructor(private readonly onEvent: (event: InstanceEvent) => void) {}

  url(name: string): string {
    const running = this.running.get(name);
    if (!running) throw new Error(`instance ${name} was never started`);
    return running.url;
  }

  pid(name: string): number {
    return this.running.get(name)?.child.pid ?? -1;
  }

  async start(config: InstanceConfig): Promise<string> {
    const child = fork(ENTRY, [], {
      cwd: REPOSITORY,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, SOAK_INSTANCE: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const running: Running = { child, url: '', stderr: '', killed: false };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      running.stderr = (running.stderr + chunk).slice(-4000);
    });
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'event') this.onEvent(message.event);
      else if (message.type === 'stats') {
        this.waiting.get(message.id)?.(message.stats);
        this.waiting.delete(message.id);
      }
    });
    running.url = await new Promise<string>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`instance ${config.name} exited (${code}) before it was ready:\n${running.stderr}`));
      child.once('exit', onExit);
      child.on('message', (message: ChildMessage) => {
        if (message.type !== 'ready') return;
        child.off('exit', onExit);
        resolve(message.url);
      });
    });
    child.once('exit', (code, signal) => {
      if (!running.killed) this.crashes.push({ name: config.name, code, signal, stderr: running.stderr });
    });
    this.running.set(config.name, running);
    return running.url;
  }

  /** SIGKILL: no cleanup at all, as a crashed or OOM-killed process. Resolves once it is gone. */
  async kill(name: string): Promise<void> {
    const running = this.running.get(name);
    if (!running) return;
    running.killed = true;
    const gone = exited(running.child);
    if (running.child.pid !== undefined) process.kill(running.child.pid, 'SIGKILL');
    await gone;
  }

  stats(name: string): Promise<InstanceStats> {
    const running = this.running.get(name);
    if (!running) return Promise.reject(new Error(`instance ${name} is not running`));
    const id = (this.nextId += 1);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      running.child.send({ type: 'stats', id });
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.running.values()].map(async (running) => {
        running.killed = true;
        if (running.child.exitCode !== null || running.child.signalCode !== null) return;
        const gone = exited(running.child);
        const timer = setTimeout(() => {
          if (running.child.pid !== undefined) process.kill(running.child.pid, 'SIGKILL');
        }, CLOSE_GRACE_MS);
        running.child.send({ type: 'close' });
        await gone;
        clearTimeout(timer);
      }),
    );
    this.running.clear();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
