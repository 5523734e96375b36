/**
 * One worker of the cluster: the whole example app on the port the workers share, with Redis stores, the
 * primary's emulator and phones, and its name on every answer.
 */
import cluster from 'node:cluster';
import { createExampleApp } from '../app.js';
import type { ServerSettings } from '../server-env.js';
import { READY_MESSAGE, workerSetupFromEnv } from './worker-setup.js';

export async function runWorker(settings: ServerSettings): Promise<void> {
  const setup = workerSetupFromEnv();
  const example = await createExampleApp({
    port: setup.port,
    host: settings.host,
    numberMatching: settings.numberMatching,
    ...(settings.stepUpMaxAgeSeconds === undefined ? {} : { stepUpMaxAgeSeconds: settings.stepUpMaxAgeSeconds }),
    worker: String(cluster.worker?.id ?? process.pid),
    ...(settings.twilio ? { twilio: settings.twilio } : {}),
    ...(setup.shared ? { sharedEmulator: setup.shared } : {}),
    ...(settings.sessionSecret ? { sessionSecret: settings.sessionSecret } : {}),
    ...(settings.identitySecret ? { identitySecret: settings.identitySecret } : {}),
    ...(settings.redisUrl ? { redisUrl: settings.redisUrl } : {}),
  });

  const stop = (code: number): void => {
    example.close().then(() => process.exit(code), () => process.exit(1));
  };
  // The primary stops the workers (SIGTERM). Ctrl+C signals the whole process group; the primary decides.
  process.on('SIGINT', () => undefined);
  process.once('SIGTERM', () => stop(0));
  // The primary is gone: a worker left alone would serve without the emulator and phones it relies on.
  process.once('disconnect', () => stop(1));
  process.send?.(READY_MESSAGE);
}
