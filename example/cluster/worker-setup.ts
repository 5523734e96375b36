/**
 * What the primary hands each worker beyond the user's own environment: the port they all share and, in
 * emulator mode, where the emulator and phones run. It travels in one environment variable of the worker.
 */
import type { SharedEmulatorInfo } from './shared-emulator.js';

export interface WorkerSetup {
  port: number;
  shared?: SharedEmulatorInfo;
}

const VARIABLE = 'VERIFY_PUSH_EXAMPLE_WORKER_SETUP';

export function workerSetupEnv(setup: WorkerSetup): Record<string, string> {
  return { [VARIABLE]: JSON.stringify(setup) };
}

export function workerSetupFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerSetup {
  const value = env[VARIABLE];
  if (value === undefined) throw new Error('This worker was not started by the example\'s primary process.');
  return JSON.parse(value) as WorkerSetup;
}

/** The message a worker sends the primary once it serves requests (it listens earlier, before its stores are open). */
export const READY_MESSAGE = { verifyPushExample: 'worker-ready' } as const;

export function isReadyMessage(message: unknown): boolean {
  return (message as { verifyPushExample?: unknown } | null)?.verifyPushExample === READY_MESSAGE.verifyPushExample;
}
