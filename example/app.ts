/**
 * `createExampleApp(options)`: the whole example (emulator or real Twilio, Express app, HTTP server),
 * started and listening. `server.ts` calls it for `npm start` (once, or in each cluster worker); tests call
 * it on port 0.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventsOptions } from 'passport-twilio-verify-push';
import { MemoryAccounts } from './accounts.js';
import type { RunningEmulator } from 'passport-twilio-verify-push/testing';
import { emulatorBackend, sharedEmulatorBackend, twilioBackend, type Backend } from './backend.js';
import type { SharedEmulatorInfo } from './cluster/shared-emulator.js';
import { buildExpressApp } from './express-app.js';
import { openRedisStores, type RedisStores } from './redis-stores.js';
import type { TwilioModeConfig } from './twilio-mode.js';
import { UserDirectory } from './users.js';

export interface ExampleOptions {
  /** TCP port. Default 3000; 0 picks a free one. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1: the demo has public demo passwords. */
  host?: string;
  /** Real Twilio instead of the embedded emulator. */
  twilio?: TwilioModeConfig;
  /** One clock for the emulator and the strategy, so tests can move time forward. Default `Date.now`. */
  clock?: () => number;
  /** Show a code on the waiting page that must be typed on the phone. Default false. */
  numberMatching?: boolean;
  /** Challenge lifetime in seconds (30–600). Default 300. */
  expiresInSeconds?: number;
  /** Live-waiting endpoint timings. */
  events?: EventsOptions;
  /** Testing aid: the waiting page uses long-poll instead of EventSource. */
  forceLongPoll?: boolean;
  /** How long the waiting page waits before offering "Send it again", in ms. Default 10000. */
  resendPauseMs?: number;
  /** Signs the session cookie. Default: random per start (sessions end with the process anyway). */
  sessionSecret?: string;
  /** Emulator mode: the key of users' Verify identities. Default: random per start (so is the emulator). */
  identitySecret?: string;
  /** Sessions and challenges in Redis (connect-redis and RedisChallengeStore on one client) instead of memory. */
  redisUrl?: string;
  /** Emulator mode in a cluster worker: the emulator and phones the primary runs, instead of embedded ones. */
  sharedEmulator?: SharedEmulatorInfo;
  /** This instance's name in a cluster: sent as `X-Worker`, shown on pages, and put before its log lines. */
  worker?: string;
  /**
   * The change-e-mail page needs a push approved within this many seconds (step-up by age). Default 60, short
   * so a person trying the example sees it ask again.
   */
  stepUpMaxAgeSeconds?: number;
  /** Seeing, adding and removing devices needs a push approved within this many seconds. Default 300 (30–3600). */
  deviceChangeMaxAgeSeconds?: number;
}

/** How long a browser whose "Remember this browser" box was ticked skips the login push. */
const REMEMBER_DAYS = 30;

export interface RunningExample {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  mode: 'emulator' | 'twilio';
  /** Emulator mode only. */
  emulator: RunningEmulator | undefined;
  close(): Promise<void>;
}

/** The app's own URL, from the interface and port it listens on. */
export function localUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function createExampleApp(options: ExampleOptions = {}): Promise<RunningExample> {
  const clock = options.clock ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const prefix = options.worker === undefined ? '' : `[worker ${options.worker}] `;
  const log = (line: string): void => console.log(`${prefix}${line}`);
  const logError = (line: string): void => console.error(`${prefix}${line}`);
  // Listen first: in emulator mode the webhook must point at our real port.
  const server = http.createServer();
  const port = await listen(server, options.port ?? 3000, host);
  const url = localUrl(host, port);

  let backend: Backend | undefined;
  let stores: RedisStores | undefined;
  try {
    const identitySecret = options.identitySecret ?? randomBytes(32).toString('hex');
    backend = options.twilio
      ? await twilioBackend(options.twilio)
      : options.sharedEmulator
        ? sharedEmulatorBackend(options.sharedEmulator, url, identitySecret)
        : await emulatorBackend(url, clock, identitySecret);
    stores = options.redisUrl === undefined ? undefined : await openRedisStores(options.redisUrl, { clock, log: logError });
  } catch (error) {
    server.close();
    await backend?.close();
    throw error;
  }
  const app = buildExpressApp({
    backend,
    users: await UserDirectory.withDemoUsers(),
    clock,
    baseUrl: url,
    numberMatching: options.numberMatching ?? false,
    expiresInSeconds: options.expiresInSeconds ?? 300,
    events: options.events ?? {},
    forceLongPoll: options.forceLongPoll ?? false,
    resendPauseMs: options.resendPauseMs ?? 10_000,
    sessionSecret: options.sessionSecret ?? randomBytes(32).toString('hex'),
    trustProxy: backend.mode === 'twilio',
    servedOverHttps: new URL(backend.webhookUrl).protocol === 'https:',
    policy: {
      stepUpMaxAgeSeconds: options.stepUpMaxAgeSeconds ?? 60,
      deviceChangeMaxAgeSeconds: options.deviceChangeMaxAgeSeconds ?? 300,
      rememberDays: REMEMBER_DAYS,
    },
    accounts: stores?.accounts ?? new MemoryAccounts(),
    ...(stores ? { stores: { sessions: stores.sessions, challenges: stores.challenges } } : {}),
    ...(options.worker === undefined ? {} : { worker: options.worker }),
    log,
    logError,
  });
  server.on('request', app);

  const opened = { backend, stores };
  let closing: Promise<void> | undefined;
  return {
    url,
    mode: backend.mode,
    emulator: backend.emulator,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Open event streams and keep-alive sockets would hold close() forever.
        server.closeAllConnections();
        await closed;
        await opened.backend.close();
        await opened.stores?.close();
      })();
      return closing;
    },
  };
}
