/**
 * `createExampleApp(options)`: the whole example (emulator or real Twilio, Express app, HTTP server),
 * started and listening. `server.ts` calls it for `npm start`; tests call it on port 0.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventsOptions } from 'passport-twilio-verify-push';
import type { RunningEmulator } from 'passport-twilio-verify-push/testing';
import { emulatorBackend, twilioBackend, type Backend } from './backend.js';
import { buildExpressApp } from './express-app.js';
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
}

export interface RunningExample {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  mode: 'emulator' | 'twilio';
  /** Emulator mode only. */
  emulator: RunningEmulator | undefined;
  close(): Promise<void>;
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
  // Listen first: in emulator mode the webhook must point at our real port.
  const server = http.createServer();
  const port = await listen(server, options.port ?? 3000, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let backend: Backend;
  try {
    backend = options.twilio
      ? await twilioBackend(options.twilio)
      : await emulatorBackend(url, clock, randomBytes(32).toString('hex'));
  } catch (error) {
    server.close();
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
  });
  server.on('request', app);

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
        await backend.close();
      })();
      return closing;
    },
  };
}
