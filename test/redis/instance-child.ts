/**
 * The test's side of an instance running in a child process (instance-process.ts): starts it with
 * `node --import tsx`, reads its JSON lines (passing its logins, denials and payments on), and stops it by
 * closing its stdin (then, if it does not exit, by its process id).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PaidEvent } from './asks-again-routes.js';
import type { DeniedReport, InstanceConfig, InstanceReports, LoginEvent, RunningInstance } from './instance-app.js';

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('./instance-process.ts', import.meta.url));
/** How long a child gets to close by itself before it is killed by its pid. */
const EXIT_GRACE_MS = 5_000;

export interface ChildInstance extends RunningInstance {
  pid: number;
  /** Sets the child's clock offset (ms ahead of the wall clock); resolves once the child applied it. */
  setClockOffset(offset: number): Promise<void>;
  /** Resolves once every line the child wrote before this call was read (logins and denials included). */
  sync(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startChildInstance(
  config: InstanceConfig,
  report: InstanceReports,
): Promise<ChildInstance> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: REPOSITORY,
    env: { ...process.env, CLUSTER_INSTANCE_CONFIG: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const acks = new Map<number, () => void>();
  let nextId = 0;
  const lines = createInterface({ input: child.stdout! });

  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`instance ${config.name} exited (${code}) before it was ready:\n${stderr}`)));
    child.once('error', reject);
    lines.on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not one of ours (a library writing to stdout)
      }
      const { type, ...event } = message;
      if (type === 'ready') resolve(String(event.url));
      else if (type === 'login') report.onLogin(event as unknown as LoginEvent);
      else if (type === 'denied') report.onDenied(event as unknown as DeniedReport);
      else if (type === 'paid') report.onPaid(event as unknown as PaidEvent);
      else if (type === 'ack') {
        acks.get(Number(event.id))?.();
        acks.delete(Number(event.id));
      }
    });
  });

  const ask = (command: Record<string, unknown>): Promise<void> => {
    const id = (nextId += 1);
    return new Promise((resolve) => {
      acks.set(id, resolve);
      child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  };

  return {
    name: config.name,
    url,
    pid: child.pid ?? -1,
    setClockOffset: (offset) => ask({ type: 'clock', offset }),
    sync: () => ask({ type: 'sync' }),
    async close() {
      child.stdin?.end();
      const timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }, EXIT_GRACE_MS);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
