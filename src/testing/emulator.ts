import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TwilioClient } from './twilio-client.js';
import { CallLog } from './call-log.js';
import { SimulatedDevice } from './device.js';
import { FaultInjector } from './faults.js';
import { HttpRouter } from './http-router.js';
import { handleRequest } from './request-handler.js';
import { allRoutes } from './resources/index.js';
import type { EmulatorEnv } from './route-context.js';
import { emulatorClient } from './sdk-client.js';
import { isSid, newSid } from './sids.js';
import { DEFAULT_UNVERIFIED_FACTOR_TTL_MS, EmulatorState } from './state.js';
import type {
  CallFilter,
  CallRecord,
  Clock,
  EmulatorClientOptions,
  EmulatorStartOptions,
  FaultControl,
  WebhookBodyFormat,
  WebhookDelivery,
} from './types.js';
import { WEBHOOK_DEFAULTS, WebhookSender } from './webhook-sender.js';

/** A running emulator: a real HTTP server on 127.0.0.1 speaking Twilio Verify v2. */
export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Fault injection for the next calls and webhook deliveries. */
  readonly faults: FaultControl;
  /** A real twilio client (twilio-node) whose requests go to this emulator. */
  client(options?: EmulatorClientOptions): TwilioClient;
  /** Creates a Verify service and returns its SID (same as `client().verify.v2.services.create`). */
  createService(friendlyName?: string): Promise<string>;
  /** A new simulated phone that enrols and answers over HTTP as the Verify mobile SDK does. */
  device(): SimulatedDevice;
  /** Every request received, in order (optionally only one operation or source). */
  calls(filter?: CallFilter): CallRecord[];
  clearCalls(): void;
  /** What was POSTed to webhooks and how each attempt went. */
  deliveries(): WebhookDelivery[];
  /**
   * Sends this webhook's bodies as JSON (`bodySHA256` in the URL) or form-encoded from now on, whatever the
   * `webhookBody` start option says. Twilio's API has no such setting; this lets one test cover both forms.
   */
  setWebhookBody(webhookSid: string, format: WebhookBodyFormat): void;
  /** Resolves when every webhook delivery started so far has finished (no timing needed in tests). */
  webhooksSettled(): Promise<void>;
  /** Stops the server, ends open (also hung) connections and pending deliveries. Idempotent. */
  close(): Promise<void>;
}

interface EmulatorParts {
  server: Server;
  env: EmulatorEnv;
  faults: FaultInjector;
  calls: CallLog;
  sender: WebhookSender;
  timers: Set<NodeJS.Timeout>;
}

class EmulatorHandle implements RunningEmulator {
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly faults: FaultControl;

  private readonly server: Server;
  private readonly env: EmulatorEnv;
  private readonly callLog: CallLog;
  private readonly sender: WebhookSender;
  private readonly timers: Set<NodeJS.Timeout>;
  private closing: Promise<void> | undefined;

  constructor(parts: EmulatorParts) {
    this.server = parts.server;
    this.env = parts.env;
    this.url = parts.env.baseUrl;
    this.accountSid = parts.env.accountSid;
    this.authToken = parts.env.authToken;
    this.faults = parts.faults;
    this.callLog = parts.calls;
    this.sender = parts.sender;
    this.timers = parts.timers;
  }

  client(options: EmulatorClientOptions = {}): TwilioClient {
    return emulatorClient(this, options);
  }

  async createService(friendlyName = 'Emulated Verify'): Promise<string> {
    const service = await this.client().verify.v2.services.create({ friendlyName });
    return service.sid;
  }

  device(): SimulatedDevice {
    return new SimulatedDevice(this.url, this.client(), this.env.state.now);
  }

  calls(filter?: CallFilter): CallRecord[] {
    return this.callLog.list(filter);
  }

  clearCalls(): void {
    this.callLog.clear();
  }

  deliveries(): WebhookDelivery[] {
    return this.sender.deliveries();
  }

  setWebhookBody(webhookSid: string, format: WebhookBodyFormat): void {
    this.sender.setFormat(webhookSid, bodyFormat('format', format));
  }

  webhooksSettled(): Promise<void> {
    return this.sender.settled();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.sender.close();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`${name} must be a positive number`);
  return value;
}

function retryCount(value: number): number {
  // Twilio's `rc` takes 0 to 5.
  if (!(Number.isInteger(value) && value >= 0 && value <= 5)) throw new TypeError('webhookRetries must be a whole number from 0 to 5');
  return value;
}

function bodyFormat(name: string, value: WebhookBodyFormat): WebhookBodyFormat {
  if (value !== 'form' && value !== 'json') throw new TypeError(`${name} must be 'form' or 'json'`);
  return value;
}

export const VerifyPushEmulator = {
  /** Starts an emulator on 127.0.0.1 (port 0 by default) and resolves once it listens. */
  async start(options: EmulatorStartOptions = {}): Promise<RunningEmulator> {
    const accountSid = options.accountSid ?? newSid('AC');
    if (!isSid('AC', accountSid)) throw new TypeError('accountSid must be "AC" followed by 32 hex characters');
    const authToken = options.authToken ?? randomBytes(16).toString('hex');
    if (authToken === '') throw new TypeError('authToken must not be empty');
    const clock: Clock = options.clock ?? Date.now;
    const state = new EmulatorState(clock, positive('unverifiedFactorTtlMs', options.unverifiedFactorTtlMs ?? DEFAULT_UNVERIFIED_FACTOR_TTL_MS));
    const faults = new FaultInjector(options.random ?? Math.random);
    const calls = new CallLog();
    const sender = new WebhookSender({
      state,
      accountSid,
      authToken,
      faults,
      totalTimeoutMs: positive('webhookTimeoutMs', options.webhookTimeoutMs ?? WEBHOOK_DEFAULTS.totalTimeoutMs),
      retries: retryCount(options.webhookRetries ?? WEBHOOK_DEFAULTS.retries),
      // Guess: Verify Push webhooks arrive form-encoded; the Verify Push Webhooks page lists their "parameters"
      // but names no content type. The strategy accepts both forms; `webhookBody: 'json'` tests the other.
      defaultFormat: bodyFormat('webhookBody', options.webhookBody ?? 'form'),
    });
    const timers = new Set<NodeJS.Timeout>();
    const router = new HttpRouter(allRoutes);
    const env: EmulatorEnv = { state, accountSid, authToken, baseUrl: '', events: sender };
    const delay = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, ms);
        timers.add(timer);
      });

    const server = createServer((req, res) => {
      handleRequest({ env, router, faults, calls, delay }, req, res).catch(() => {
        // A bug in a handler must not take the emulator down: answer 500 like an upstream failure.
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ code: 20500, message: 'Internal Server Error', more_info: 'https://www.twilio.com/docs/errors/20500', status: 500 }));
        }
      });
    });
    const port = await listen(server, options.port ?? 0);
    env.baseUrl = `http://127.0.0.1:${port}`;
    return new EmulatorHandle({ server, env, faults, calls, sender, timers });
  },
};
