/**
 * A minimal real app for the events endpoint: express-session, Passport, the real strategy talking to
 * the emulator over HTTP, and (optionally) the webhook mounted and registered on the emulator. A
 * "first factor" route stands in for the password step. Clients are plain HTTP with their own cookies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { EventsOptions } from '../../src/http/events.js';
import { VerifyPushEmulator, type RunningEmulator } from '../../src/testing/index.js';

export interface TestUser {
  id: string;
}

export interface StrategyApp {
  url: string;
  emulator: RunningEmulator;
  store: MemoryChallengeStore;
  serviceSid: string;
  /** Enrol a simulated phone for a user; returns what the device needs to answer. */
  enrol(userId: string): Promise<Phone>;
  close(): Promise<void>;
}

export interface Phone {
  approve(challengeSid: string): Promise<unknown>;
  deny(challengeSid: string): Promise<unknown>;
  pendingSids(): Promise<string[]>;
}

export const identityOf = (userId: string): string => `events-test-identity-${userId}`;

export async function startStrategyApp(options: {
  webhook: boolean;
  events?: EventsOptions;
  /** One clock for the emulator, the store and the strategy, so a test can let time pass. */
  clock?: () => number;
  /** Strategy options under test (e.g. a short webhookFallbackPollMs). */
  strategy?: { webhookFallbackPollMs?: number };
}): Promise<StrategyApp> {
  const clock = options.clock ?? Date.now;
  const emulator = await VerifyPushEmulator.start({ clock });
  const serviceSid = await emulator.createService('events test');
  const store = new MemoryChallengeStore({ sweepIntervalMs: 0, clock });
  const push = new VerifyPushStrategy<TestUser>({
    client: emulator.client(),
    authToken: emulator.authToken,
    serviceSid,
    identity: (user) => identityOf(user.id),
    store,
    pollIntervalMs: 1000,
    // Many sign-ins per user in one test file: the start limits are not under test here.
    limits: { perUser: false, perIp: false },
    clock,
    ...options.strategy,
  });
  const passport = new Passport();
  passport.use(push);
  passport.serializeUser((user, done) => done(null, (user as TestUser).id));
  passport.deserializeUser((id: string, done) => done(null, { id }));

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const app = express();
  if (options.webhook) {
    app.post('/webhook', push.webhook({ url: `${url}/webhook` }));
    await emulator.client().verify.v2.services(serviceSid).webhooks.create({
      friendlyName: 'events test',
      webhookUrl: `${url}/webhook`,
      eventTypes: ['challenge.approved', 'challenge.denied'],
    });
  }
  app.use(session({ secret: 'events-test-secret', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.post('/first-factor/:id', (req, res, next) => {
    req.logIn({ id: String(req.params.id) }, (err) => (err ? next(err) : res.status(204).end()));
  });
  app.post('/login/push', passport.authenticate('verify-push', { failureMessage: false }), (req, res) => {
    res.json({ loggedIn: (req.user as TestUser).id });
  });
  app.get('/events', push.events(options.events));
  server.on('request', app);

  const device = emulator.device();
  return {
    url,
    emulator,
    store,
    serviceSid,
    async enrol(userId) {
      const ref = { serviceSid, identity: identityOf(userId) };
      const { factorSid } = await device.register({ ...ref, friendlyName: `phone of ${userId}` });
      return {
        approve: (challengeSid) => device.approve({ ...ref, factorSid, challengeSid }),
        deny: (challengeSid) => device.deny({ ...ref, factorSid, challengeSid }),
        pendingSids: async () => (await device.challenges({ ...ref, factorSid, status: 'pending' })).map((c) => c.sid),
      };
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await emulator.close();
      await store.close();
    },
  };
}

/** A browser's cookie for one app: signs in with the first factor, then starts the push (202 JSON). */
export class Browser {
  private cookie = '';
  constructor(private readonly baseUrl: string) {}

  get cookieHeader(): string {
    return this.cookie;
  }

  async request(path: string, init: { method?: string; accept?: string } = {}): Promise<Response> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { Accept: init.accept ?? 'application/json', ...(this.cookie ? { Cookie: this.cookie } : {}) },
    });
    const set = response.headers.getSetCookie()[0];
    if (set) this.cookie = set.split(';', 1)[0] ?? '';
    return response;
  }

  /** First factor for `userId`, then POST /login/push: resolves with the 202 pending body. */
  async startPush(userId: string): Promise<Record<string, unknown>> {
    const first = await this.request(`/first-factor/${userId}`, { method: 'POST' });
    if (first.status !== 204) throw new Error(`first factor failed: ${first.status}`);
    const started = await this.request('/login/push', { method: 'POST' });
    if (started.status !== 202) throw new Error(`push did not start: ${started.status} ${await started.text()}`);
    return (await started.json()) as Record<string, unknown>;
  }
}
