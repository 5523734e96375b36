/**
 * CLUSTER=n: the primary process. It runs the one emulator and the simulated phones (they must be shared, see
 * shared-emulator.ts), forks n workers with Node's own `node:cluster`, which hands each incoming connection to
 * a worker in turn (no sticky sessions), and stops them all together.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { localUrl } from '../app.js';
import { printBanner, redisHost, warnIfExposed } from '../banner.js';
import type { ServerSettings } from '../server-env.js';
import { startSharedEmulator, type SharedEmulator } from './shared-emulator.js';
import { isReadyMessage, workerSetupEnv } from './worker-setup.js';

/** How long a worker may take to close its connections before it is killed. */
const STOP_GRACE_MS = 5000;

/** PORT=0: the workers must share one port, and the emulator's webhook must know it before they start. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function exited(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => worker.once('exit', () => resolve()));
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(async (worker) => {
      if (worker.isDead()) return;
      worker.process.kill('SIGTERM');
      const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS);
      await exited(worker);
      clearTimeout(timer);
    }),
  );
}

export async function runPrimary(settings: ServerSettings): Promise<void> {
  const count = settings.workers ?? 1;
  warnIfExposed(settings.host, settings.twilio !== undefined);
  const port = settings.port === 0 ? await freePort(settings.host) : settings.port;
  const url = localUrl(settings.host, port);
  const shared: SharedEmulator | undefined = settings.twilio ? undefined : await startSharedEmulator(url);
  const env = workerSetupEnv({ port, ...(shared ? { shared: shared.info } : {}) });

  const workers: Worker[] = [];
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    void stopWorkers(workers)
      .then(() => shared?.close())
      .then(
        () => process.exit(code),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  const ready = new Promise<void>((resolve) => {
    let started = 0;
    cluster.on('message', (_worker, message) => {
      if (!isReadyMessage(message)) return;
      started += 1;
      if (started === count) resolve();
    });
  });
  // A worker that stops on its own (it could not start, or crashed) stops the example: it fails loudly rather
  // than serving on with fewer workers than asked for.
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.error(`Worker ${worker.id} stopped (${signal ?? `exit code ${code}`}); stopping the example.`);
    stop(1);
  });
  cluster.on('online', (worker) => console.log(`Worker ${worker.id} started (pid ${worker.process.pid})`));
  for (let i = 0; i < count; i += 1) workers.push(cluster.fork(env));
  await ready;
  if (stopping) return;

  printBanner({
    url,
    mode: settings.twilio ? 'twilio' : 'emulator',
    ...(shared ? { emulatorUrl: shared.info.emulator.url } : {}),
    ...(settings.twilio ? { publicUrl: settings.twilio.publicUrl } : {}),
    cluster: { workers: count, redisHost: settings.redisUrl === undefined ? 'REDIS_URL' : redisHost(settings.redisUrl) },
  });
}
