/**
 * End-to-end setup shared by the flow and security tests: a Verify Push emulator (the real twilio SDK talks
 * to it over HTTP), a Verify service, simulated phones enrolled for two users, and an Express app with
 * express-session, Passport, a password-login stub and the strategy mounted as a route, a gate and a
 * webhook. Express 4 or 5 and Passport 0.6 or 0.7 can be chosen per app.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import express5 from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import session from 'express-session';
import passport07 from 'passport';
import supertest from 'supertest';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { VerifyPushEmulator, type RunningEmulator, type SimulatedDevice } from '../../src/testing/index.js';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { newStrategy } from '../helpers/new-strategy.js';
import type { VerifyFunction, VerifyFunctionWithRequest, VerifyPushAuthenticateOptions, VerifyPushOptions } from '../../src/types.js';
import type { ChallengeStore } from '../../src/stores/types.js';
import { RedisChallengeStore } from '../../src/stores/redis/index.js';
import { createClient } from 'redis';
import { redisAvailable } from '../helpers/redis-available.js';
import { startRedis } from '../helpers/redis-server.js';

const require = createRequire(import.meta.url);

export interface User {
  id: string;
  name: string;
}

export const USERS: Record<string, User> = {
  alice: { id: 'u-1001', name: 'alice' },
  bob: { id: 'u-1002', name: 'bob' },
  carol: { id: 'u-1003', name: 'carol' },
};

export const IDENTITY_SECRET = 'e2e-identity-secret-0123456789abcdef0123';

/** Wall time plus an offset that tests move forward; shared by the emulator, the strategy and the store. */
export class SharedClock {
  offset = 0;
  readonly now = (): number => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

/**
 * For a moment after a session's push ends (denied, expired, replaced), the session's requests answer that end:
 * they may have set out before it, and must not push the phone again. A person reads the answer first, and
 * takes longer than that moment; tests that ask again at once move the clock past it.
 */
export const READING_TIME_MS = 2_000;

export interface AppOptions {
  express?: 4 | 5;
  passport?: '0.6' | '0.7';
  /** Mount `strategy.webhook()` and register it on the Verify service. Default true. */
  webhook?: boolean;
  strategy?: Partial<VerifyPushOptions<User>>;
  verify?: VerifyFunction<User> | VerifyFunctionWithRequest<User>;
  /** Extra Passport/strategy options for the plain login route and the gate. */
  authenticate?: VerifyPushAuthenticateOptions;
  /** Replace express-session with something else (e.g. a cookie-session stand-in). */
  sessionMiddleware?: (req: Request, res: Response, next: NextFunction) => void;
  store?: ChallengeStore;
  /** Share one session store between apps, as instances behind a load balancer share theirs. */
  sessions?: session.MemoryStore;
  /** More routes, mounted after the harness's own (and before its error handler). */
  routes?: (app: Express, context: { passport: InstanceType<typeof passport07.Passport>; strategy: VerifyPushStrategy<User> }) => void;
}

/**
 * Every supported pairing of Express and Passport, for `describe.each`. Session regeneration, `keepSessionInfo`
 * and the custom-callback signature live in Passport and express-session glue, so tests that depend on them
 * run against each pairing.
 */
export const VERSION_MATRIX: ReadonlyArray<Required<Pick<AppOptions, 'express' | 'passport'>>> = [
  { express: 5, passport: '0.7' },
  { express: 5, passport: '0.6' },
  { express: 4, passport: '0.7' },
  { express: 4, passport: '0.6' },
];

export interface TestApp {
  url: string;
  strategy: VerifyPushStrategy<User>;
  sessions: session.MemoryStore;
  /** How many times the verify callback ran (when the app counts logins). */
  close(): Promise<void>;
}

export interface World {
  emulator: RunningEmulator;
  clock: SharedClock;
  serviceSid: string;
  device: SimulatedDevice;
  /** factor sid of each user's phone */
  factors: Map<string, string>;
  identities: Map<string, string>;
  startApp(options?: AppOptions): Promise<TestApp>;
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

type ErrorWithCode = Error & { code?: unknown; status?: unknown };

/**
 * Which challenge store an app gets when a test does not pass one: the memory store, or, when the suite runs
 * with E2E_STORE=redis (the `e2e-redis` project), a RedisChallengeStore on a redis-server this world starts,
 * each app with its own key prefix and the world's moving clock.
 */
const STORE_KIND = process.env.E2E_STORE === 'redis' ? 'redis' : 'memory';

interface StoreMaker {
  make(): Promise<ChallengeStore | undefined>;
  close(): Promise<void>;
}

async function storeMaker(clock: SharedClock): Promise<StoreMaker> {
  if (STORE_KIND === 'memory') return { make: async () => undefined, close: async () => undefined };
  if (!redisAvailable()) throw new Error('E2E_STORE=redis needs redis-server (see test/helpers/redis-server.ts).');
  const server = await startRedis();
  const client = createClient({ url: server.url });
  client.on('error', () => undefined);
  await client.connect();
  const stores: RedisChallengeStore[] = [];
  let made = 0;
  return {
    async make() {
      made += 1;
      const store = await RedisChallengeStore.create({ client, prefix: `e2e-${made}:`, clock: clock.now });
      stores.push(store);
      return store;
    },
    async close() {
      for (const store of stores) await store.close();
      client.destroy();
      await server.stop();
    },
  };
}

/** Starts the emulator, creates a service and enrols one phone for each test user. */
export async function startWorld(): Promise<World> {
  const clock = new SharedClock();
  const stores = await storeMaker(clock);
  const emulator = await VerifyPushEmulator.start({ clock: clock.now });
  const serviceSid = await emulator.createService('E2E');
  const device = emulator.device();
  const factors = new Map<string, string>();
  const identities = new Map<string, string>();
  const probe = new VerifyPushStrategy<User>({
    client: emulator.client(),
    serviceSid,
    identitySecret: IDENTITY_SECRET,
  });
  for (const user of Object.values(USERS)) {
    const identity = await probe.identityOf(user, {} as never);
    identities.set(user.name, identity);
    if (user.name === 'carol') continue; // carol never enrolled a phone
    const { factorSid } = await device.register({ serviceSid, identity, friendlyName: `${user.name}'s phone` });
    factors.set(user.name, factorSid);
  }
  const apps: TestApp[] = [];

  async function startApp(options: AppOptions = {}): Promise<TestApp> {
    const express = (options.express === 4 ? require('express4') : express5) as typeof express5;
    const passportModule = (options.passport === '0.6' ? require('passport06') : passport07) as typeof passport07;
    const passport = new passportModule.Passport();
    const store = options.store ?? (await stores.make());
    const strategy = newStrategy<User>(
      {
        client: emulator.client({ timeout: 5000 }),
        authToken: emulator.authToken,
        serviceSid,
        identitySecret: IDENTITY_SECRET,
        appName: 'E2E App',
        clock: clock.now,
        ...(store ? { store } : {}),
        ...options.strategy,
      },
      options.verify,
    );
    passport.use(strategy);
    passport.serializeUser((user, done) => done(null, (user as User).id));
    passport.deserializeUser((id: string, done) => done(null, Object.values(USERS).find((u) => u.id === id) ?? false));

    const sessions = options.sessions ?? new session.MemoryStore();
    const app: Express = express();
    // Tests play clients at several addresses with X-Forwarded-For, as behind a proxy on the same host.
    app.set('trust proxy', 'loopback');
    const server = http.createServer(app);
    const url = await listen(server);
    const withWebhook = options.webhook ?? true;
    if (withWebhook) {
      const webhookUrl = `${url}/twilio/verify`;
      // Mounted before any body parser: the handler reads and checks the raw form body itself.
      app.post('/twilio/verify', strategy.webhook({ url: webhookUrl }));
      const hooks = emulator.client().verify.v2.services(serviceSid).webhooks;
      for (const hook of await hooks.list()) await hooks(hook.sid).remove();
      await hooks.create({ friendlyName: 'e2e', eventTypes: ['challenge.approved', 'challenge.denied'], webhookUrl });
    }
    app.use(
      options.sessionMiddleware ??
        session({ secret: 'e2e-session-secret', resave: false, saveUninitialized: false, store: sessions }),
    );
    app.use(passport.initialize());
    app.use(passport.session());
    app.use(express.json());

    // Touches the session, so a visitor gets a session id before logging in (for fixation tests).
    app.get('/visit', (req, res) => {
      (req.session as unknown as Record<string, unknown>).visited = true;
      res.json({ sessionID: req.sessionID });
    });
    // What an app does when it sends an anonymous visitor to log in (for successReturnToOrRedirect).
    app.get('/remember', (req, res) => {
      (req.session as unknown as Record<string, unknown>).returnTo = String(req.query.path);
      res.json({ ok: true });
    });
    // The first factor: a password-login stub.
    app.post('/login', (req, res, next) => {
      const user = USERS[String((req.body as { username?: unknown }).username)];
      if (!user) {
        res.status(401).json({ code: 'BAD_PASSWORD' });
        return;
      }
      // `keep: true` logs in with keepSessionInfo, carrying the old session's data over (the hard case).
      const loginOptions = { session: true, keepSessionInfo: (req.body as { keep?: unknown }).keep === true };
      req.logIn(user, loginOptions, (err) => (err ? next(err) : res.json({ sessionID: req.sessionID })));
    });
    app.post('/logout', (req, res, next) => {
      req.logout({ keepSessionInfo: true }, (err) => (err ? next(err) : res.json({ sessionID: req.sessionID })));
    });
    app.get('/whoami', (req, res) => {
      const data = req.session as unknown as Record<string, unknown> | undefined;
      res.json({
        user: (req.user as User | undefined)?.name ?? null,
        sessionID: req.sessionID ?? null,
        verifyPush: data?.verifyPush ?? null,
        messages: data?.messages ?? [],
      });
    });

    // The strategy as a login route, the Passport way.
    app.post(
      '/login/push',
      passport.authenticate('verify-push', { failureRedirect: '/login/failed', ...options.authenticate }),
      (req, res) => res.json({ loggedIn: (req.user as User).name, sessionID: req.sessionID }),
    );
    // The same with a custom callback, so tests can read the failure code.
    const callbackOptions: VerifyPushAuthenticateOptions = { pending: 'callback', ...options.authenticate };
    app.post('/login/push/cb', (req, res, next) => {
      passport.authenticate(
        'verify-push',
        callbackOptions,
        (err: unknown, user: User | false, info: Record<string, unknown> | undefined, status: number | undefined) => {
          if (err) return next(err);
          if (!user) {
            res.status(status ?? 401).json(info ?? {});
            return;
          }
          req.logIn(user, (loginErr) => (loginErr ? next(loginErr) : res.json({ loggedIn: user.name, sessionID: req.sessionID })));
        },
      )(req, res, next);
    });
    app.post('/login/push/resend', strategy.resend());
    app.get('/login/push/status', (req, res, next) => {
      strategy.status(req).then((status) => res.json(status), next);
    });
    // The strategy as a gate in front of protected routes.
    const gateOptions: VerifyPushAuthenticateOptions = { gate: true, ...options.authenticate };
    app.use(
      '/app',
      passport.authenticate('verify-push', gateOptions),
      (req, res, next) => (req.user ? next() : res.status(401).json({ code: 'LOGIN_REQUIRED' })),
    );
    app.get('/app/secret', (req, res) => res.json({ secret: 42, user: (req.user as User).name }));
    options.routes?.(app, { passport, strategy });

    app.use((err: ErrorWithCode, _req: Request, res: Response, _next: NextFunction) => {
      const status = typeof err.status === 'number' ? err.status : 500;
      res.status(status).json({ code: typeof err.code === 'string' ? err.code : 'INTERNAL' });
    });

    const testApp: TestApp = {
      url,
      strategy,
      sessions,
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
    apps.push(testApp);
    return testApp;
  }

  return {
    emulator,
    clock,
    serviceSid,
    device,
    factors,
    identities,
    startApp,
    close: async () => {
      for (const app of apps) await app.close();
      await emulator.close();
      await stores.close();
    },
  };
}

export type Agent = ReturnType<typeof supertest.agent>;

/** A browser-like client with a cookie jar. JSON by default (Accept: application/json). */
export function agentFor(app: TestApp, clientIp?: string): Agent {
  const agent = supertest.agent(app.url).set('Accept', 'application/json');
  return clientIp === undefined ? agent : agent.set('X-Forwarded-For', clientIp);
}

export async function passwordLogin(agent: Agent, username: string, keep = false): Promise<string> {
  const res = await agent.post('/login').send({ username, keep }).expect(200);
  return (res.body as { sessionID: string }).sessionID;
}

/** Password, push approved on the phone, logged in: a fully signed-in browser (from `ip`, if given). */
export async function signedIn(world: World, app: TestApp, username: string, ip?: string): Promise<Agent> {
  const agent = agentFor(app, ip);
  await passwordLogin(agent, username);
  await agent.post('/login/push').expect(202);
  await answerOnPhone(world, username, 'approve');
  await agent.post('/login/push').expect(200);
  return agent;
}

/** The user's pending challenge as their phone lists it (newest first). */
export async function phonePending(world: World, username: string) {
  const identity = world.identities.get(username)!;
  const factorSid = world.factors.get(username)!;
  return world.device.challenges({ serviceSid: world.serviceSid, identity, factorSid, status: 'pending' });
}

export function factorRef(world: World, username: string) {
  return { serviceSid: world.serviceSid, identity: world.identities.get(username)!, factorSid: world.factors.get(username)! };
}

/** The phone approves (or denies) the user's newest pending challenge; resolves once webhooks were delivered. */
export async function answerOnPhone(world: World, username: string, answer: 'approve' | 'deny', extra: { matchCode?: string } = {}) {
  const [challenge] = await phonePending(world, username);
  if (!challenge) throw new Error(`no pending challenge for ${username}`);
  const ref = { ...factorRef(world, username), challengeSid: challenge.sid };
  if (answer === 'approve') await world.device.approve({ ...ref, ...extra });
  else await world.device.deny(ref);
  await world.emulator.webhooksSettled();
  return challenge;
}

/** The session cookie a response set (to replay it later as an attacker or an old tab would). */
export function sessionCookie(res: { headers: Record<string, unknown> }): string {
  const setCookie = res.headers['set-cookie'] as string[] | undefined;
  const cookie = setCookie?.find((c) => c.startsWith('connect.sid='));
  if (!cookie) throw new Error('no session cookie set');
  return cookie.split(';')[0]!;
}

/** Twilio calls made by the app (not by the phone), optionally one operation only. */
export function apiCalls(world: World, operation?: string): number {
  return world.emulator.calls({ source: 'api', ...(operation ? { operation: operation as never } : {}) }).length;
}

/**
 * One world per test file: started before the file's tests, closed after them, with injected faults cleared
 * before each test. The returned object reads through to the running world, so tests use it directly.
 */
export function useWorld(): World {
  let current: World | undefined;
  beforeAll(async () => {
    current = await startWorld();
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => {
    current?.emulator.faults.clear();
  });
  return new Proxy({} as World, {
    get(_target, key) {
      if (!current) throw new Error('the e2e world is used before beforeAll started it');
      return current[key as keyof World];
    },
  });
}

