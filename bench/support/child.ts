/**
 * Servers under load run in their own process, so the load generator does not steal their CPU (the
 * benchmarks target 2 cores: one for the server, one for the client). Parent and child talk over IPC:
 * the child says `ready` with what the parent needs, the parent says `close` when done.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildServer<Ready> {
  ready: Ready;
  /** Sends a request and resolves with the child's answer of the same `type`. */
  ask<Answer>(message: { type: string } & Record<string, unknown>): Promise<Answer>;
  stop(): Promise<void>;
}

interface Envelope {
  type: string;
  payload?: unknown;
  error?: string;
}

/** Forks `script` with the parent's node flags (`--import tsx`, `--expose-gc`) and waits for `ready`. */
export function startChild<Ready>(script: URL, args: string[] = []): Promise<ChildServer<Ready>> {
  const child = fork(fileURLToPath(script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`${script.pathname} exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.once('message', (message: Envelope) => {
      child.off('exit', onExit);
      if (message.type !== 'ready') {
        reject(new Error(message.error ?? `unexpected first message ${message.type}`));
        return;
      }
      resolve({ ready: message.payload as Ready, ask: (m) => ask(child, m), stop: () => stop(child) });
    });
  });
}

function ask<Answer>(child: ChildProcess, message: { type: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const onMessage = (answer: Envelope): void => {
      if (answer.type !== message.type) return;
      child.off('message', onMessage);
      if (answer.error !== undefined) reject(new Error(answer.error));
      else resolve(answer.payload as Answer);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'close' });
  });
}

/**
 * Child side: runs `setup`, reports `ready`, answers requests through `handlers`, and on `close` runs
 * `teardown` and exits. A failing setup is reported to the parent instead of hanging it.
 */
export async function serveParent<Ready>(
  setup: () => Promise<Ready>,
  teardown: () => Promise<void>,
  handlers: Record<string, (message: Record<string, unknown>) => Promise<unknown>> = {},
): Promise<void> {
  const reply = (envelope: Envelope): void => {
    process.send?.(envelope);
  };
  let ready: Ready;
  try {
    ready = await setup();
  } catch (error) {
    reply({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  process.on('message', (message: Record<string, unknown>) => {
    const type = String(message.type);
    if (type === 'close') {
      void teardown().finally(() => process.exit(0));
      return;
    }
    const handler = handlers[type];
    if (!handler) {
      reply({ type, error: `no handler for ${type}` });
      return;
    }
    handler(message).then(
      (payload) => reply({ type, payload }),
      (error: unknown) => reply({ type, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  // An orphaned server must not outlive a parent that crashed.
  process.once('disconnect', () => {
    void teardown().finally(() => process.exit(0));
  });
  reply({ type: 'ready', payload: ready });
}
