/**
 * `npm start`: serves the example on http://localhost:3000 (PORT to change it). Emulator mode by default;
 * real Twilio mode when the TWILIO_* variables are set (see twilio-mode.ts). REDIS_URL keeps sessions and
 * logins in Redis, and CLUSTER=3 (with REDIS_URL) runs three worker processes; see server-env.ts for every
 * variable.
 */
import cluster from 'node:cluster';
import { createExampleApp } from './app.js';
import { printBanner, redisHost, warnIfExposed } from './banner.js';
import { runPrimary } from './cluster/primary.js';
import { runWorker } from './cluster/worker.js';
import { serverSettingsFromEnv, type ServerSettings } from './server-env.js';

async function runAlone(settings: ServerSettings): Promise<void> {
  warnIfExposed(settings.host, settings.twilio !== undefined);
  const example = await createExampleApp({
    port: settings.port,
    host: settings.host,
    numberMatching: settings.numberMatching,
    ...(settings.stepUpMaxAgeSeconds === undefined ? {} : { stepUpMaxAgeSeconds: settings.stepUpMaxAgeSeconds }),
    ...(settings.twilio ? { twilio: settings.twilio } : {}),
    ...(settings.sessionSecret ? { sessionSecret: settings.sessionSecret } : {}),
    ...(settings.identitySecret ? { identitySecret: settings.identitySecret } : {}),
    ...(settings.redisUrl ? { redisUrl: settings.redisUrl } : {}),
  });
  printBanner({
    url: example.url,
    mode: example.mode,
    ...(example.emulator ? { emulatorUrl: example.emulator.url } : {}),
    ...(settings.twilio ? { publicUrl: settings.twilio.publicUrl } : {}),
    ...(settings.redisUrl ? { redisHost: redisHost(settings.redisUrl) } : {}),
  });

  const stop = (): void => {
    example.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(): Promise<void> {
  const settings = serverSettingsFromEnv();
  if (settings.workers === undefined) return runAlone(settings);
  return cluster.isPrimary ? runPrimary(settings) : runWorker(settings);
}

main().catch((error: unknown) => {
  const where = cluster.isWorker ? `[worker ${cluster.worker?.id ?? '?'}] ` : '';
  console.error(`${where}${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
