/**
 * One app instance of a deployment on Redis, as a user would build it: its own node-redis client serving both
 * express-session (through connect-redis) and the RedisChallengeStore, Passport with a password stub, and the
 * strategy mounted as a login route, a gate, the resend, status and events endpoints, a logout and (on one
 * instance only) the webhook; when the deployment asks for them, also the routes that ask the phone again
 * (asks-again-routes.ts) and "remember this browser" on the login route. The same function builds the
 * instances that run inside the test process and the one that runs in a child process (instance-process.ts),
 * so everything it is given in `InstanceConfig` is plain JSON.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { RedisStore } from 'connect-redis';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { isVerifyPushError } from '../../src/errors.js';
import { RedisChallengeStore } from '../../src/stores/redis/index.js';
import { emulatorClient } from '../../src/testing/index.js';
import type { EventsOptions } from '../../src/http/events.js';
import type { RateLimitOptions, VerifyPushAuthenticateOptions } from '../../src/types.js';
import { mountAsksAgainRoutes, REMEMBER_BROWSER, REMEMBER_IF_ASKED, type PaidEvent } from './asks-again-routes.js';
import { redisClientFor } from './instance-redis-client.js';

export interface ClusterUser {
  id: string;
  name: string;
}

export const CLUSTER_USERS: Record<string, ClusterUser> = {
  alice: { id: 'u-2001', name: 'alice' },
  bob: { id: 'u-2002', name: 'bob' },
};

/** Strategy options a test may choose per deployment (plain JSON, so a child process gets them too). */
export interface DeploymentOptions {
  limits?: RateLimitOptions;
  pollIntervalMs?: number;
  webhookFallbackPollMs?: number;
  expiresInSeconds?: number;
  events?: EventsOptions;
  /** The store's deadline for one operation. */
  operationTimeoutMs?: number;
  /**
   * Also mount the routes that ask the phone again after the login (step-up by age, a payment behind
   * transaction approval, sign out everywhere) and remember browsers whose login asked for it.
   */
  asksAgainRoutes?: boolean;
}

export interface InstanceConfig {
  name: string;
  /** Where this instance's Redis client connects (the server itself, or a proxy in front of it). */
  redisUrl: string;
  /** Key prefix of this deployment's challenges; sessions live under `<prefix>sess:`. */
  prefix: string;
  emulator: { url: string; accountSid: string; authToken: string };
  serviceSid: string;
  identitySecret: string;
  /** Mount the webhook here (the one instance Twilio calls); the others only expect webhooks elsewhere. */
  webhook: boolean;
  deployment: DeploymentOptions;
}

export interface LoginEvent {
  instance: string;
  user: string;
  challengeSid: string;
}

export interface DeniedReport {
  instance: string;
  identity: string;
  count: number;
  limit: number;
}

/** What an instance tells the test as it happens (a child process too, in its JSON lines). */
export interface InstanceReports {
  onLogin(event: LoginEvent): void;
  onDenied(event: DeniedReport): void;
  /** A payment made (on deployments with `asksAgainRoutes`). */
  onPaid(event: PaidEvent): void;
}

export interface InstanceHooks extends InstanceReports {
  /** The deployment's clock (the emulator's too), so tests can let time pass on every instance at once. */
  clock: () => number;
  /**
   * Runs after the session was loaded and before the strategy (in-process instances only): lets a test break
   * Redis in the middle of a request whose session it already has.
   */
  afterSession?(): void;
}

export interface RunningInstance {
  name: string;
  url: string;
  close(): Promise<void>;
}

/** An error of the session store (connect-redis), told apart so the app answers it as "try again later". */
class SessionStoreFailure extends Error {
  constructor(readonly original: unknown) {
    super('The session store failed.');
  }
}

type ErrorWithCode = Error & { code?: unknown; status?: unknown };

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export async function startInstance(config: InstanceConfig, hooks: InstanceHooks): Promise<RunningInstance> {
  const client = redisClientFor(config.redisUrl);
  // node-redis ends the process on an 'error' event nobody listens to; errors reach the callers anyway.
  client.on('error', () => undefined);
  await client.connect();
  const { deployment } = config;
  const store = await RedisChallengeStore.create({
    client,
    prefix: config.prefix,
    clock: hooks.clock,
    ...(deployment.operationTimeoutMs === undefined ? {} : { operationTimeoutMs: deployment.operationTimeoutMs }),
  });

  const strategy = new VerifyPushStrategy<ClusterUser>(
    {
      client: emulatorClient(config.emulator, { timeout: 5000 }),
      authToken: config.emulator.authToken,
      serviceSid: config.serviceSid,
      identitySecret: config.identitySecret,
      appName: 'Cluster App',
      clock: hooks.clock,
      store,
      ...(deployment.asksAgainRoutes ? { rememberBrowser: REMEMBER_BROWSER } : {}),
      ...(config.webhook ? {} : { expectWebhooks: true }),
      ...(deployment.limits === undefined ? {} : { limits: deployment.limits }),
      ...(deployment.pollIntervalMs === undefined ? {} : { pollIntervalMs: deployment.pollIntervalMs }),
      ...(deployment.webhookFallbackPollMs === undefined ? {} : { webhookFallbackPollMs: deployment.webhookFallbackPollMs }),
      ...(deployment.expiresInSeconds === undefined ? {} : { expiresInSeconds: deployment.expiresInSeconds }),
      onDenied: (event) => hooks.onDenied({ instance: config.name, identity: event.identity, count: event.count, limit: event.limit }),
    },
    (user, challenge, done) => {
      hooks.onLogin({ instance: config.name, user: user.name, challengeSid: challenge.challengeSid });
      done(null, user);
    },
  );
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, (user as ClusterUser).id));
  passport.deserializeUser((id: string, done) => done(null, Object.values(CLUSTER_USERS).find((u) => u.id === id) ?? false));

  const app = express();
  // Tests play clients at several addresses with X-Forwarded-For, as behind a load balancer on this host.
  app.set('trust proxy', 'loopback');
  const server = http.createServer(app);
  const url = await listen(server);

  // Outside the session: the test asks whether this instance reaches Redis again, and how many pages wait here.
  app.get('/health', (_req, res) => {
    client.ping().then(
      () => res.json({ redis: 'up', pid: process.pid, waiting: store.stats() }),
      () => res.status(503).json({ redis: 'down', pid: process.pid, waiting: store.stats() }),
    );
  });
  if (config.webhook) {
    // Before any body parser and outside the session: Twilio's request carries no cookie.
    app.post('/twilio/verify', strategy.webhook({ url: `${url}/twilio/verify` }));
  }
  const sessions = session({
    secret: 'cluster-session-secret-shared-by-every-instance',
    resave: false,
    saveUninitialized: false,
    store: new RedisStore({ client, prefix: `${config.prefix}sess:` }),
  });
  app.use((req, res, next) => sessions(req, res, (err?: unknown) => next(err === undefined ? undefined : new SessionStoreFailure(err))));
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(express.json());
  app.use((_req, _res, next) => {
    hooks.afterSession?.();
    next();
  });

  // The first factor: a password-login stub.
  app.post('/login', (req, res, next) => {
    const user = CLUSTER_USERS[String((req.body as { username?: unknown } | undefined)?.username)];
    if (!user) {
      res.status(401).json({ code: 'BAD_PASSWORD' });
      return;
    }
    req.logIn(user, (err) => (err ? next(err) : res.json({ user: user.name })));
  });
  app.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.json({ loggedOut: true })));
  });
  // The login route with a custom callback, so the answer carries the failure code a page would show.
  const callbackOptions: VerifyPushAuthenticateOptions = {
    pending: 'callback',
    ...(deployment.asksAgainRoutes ? { remember: REMEMBER_IF_ASKED } : {}),
  };
  app.post('/login/push', (req, res, next) => {
    passport.authenticate(
      'verify-push',
      callbackOptions,
      (err: unknown, user: ClusterUser | false, info: Record<string, unknown> | undefined, status: number | undefined) => {
        if (err) return next(err);
        if (!user) {
          if (typeof info?.retryAfter === 'number') res.set('Retry-After', String(info.retryAfter));
          res.status(status ?? 401).json(info ?? {});
          return;
        }
        req.logIn(user, (loginErr) => (loginErr ? next(loginErr) : res.json({ loggedIn: user.name, instance: config.name })));
      },
    )(req, res, next);
  });
  app.post('/login/push/resend', strategy.resend());
  app.get('/login/push/status', (req, res, next) => {
    strategy.status(req).then((status) => res.json(status), next);
  });
  app.get('/login/push/events', strategy.events(deployment.events));
  // The strategy as a gate in front of protected pages.
  const gate: VerifyPushAuthenticateOptions = { gate: true };
  app.use(
    '/app',
    passport.authenticate('verify-push', gate),
    (req, res, next) => (req.user ? next() : res.status(401).json({ code: 'LOGIN_REQUIRED' })),
  );
  app.get('/app/secret', (req, res) => res.json({ secret: 42, user: (req.user as ClusterUser).name, instance: config.name }));
  if (deployment.asksAgainRoutes) mountAsksAgainRoutes(app, passport, strategy, config.name, hooks.onPaid);

  app.use((err: ErrorWithCode, _req: Request, res: Response, _next: NextFunction) => {
    // A session save or touch that failed after the answer was written: nothing more to say to the client.
    if (res.headersSent) return;
    if (isVerifyPushError(err)) {
      res.status(err.status).json({ code: err.code });
      return;
    }
    if (err instanceof SessionStoreFailure) {
      res.status(503).json({ code: 'SESSION_STORE_UNAVAILABLE' });
      return;
    }
    res.status(typeof err.status === 'number' ? err.status : 500).json({ code: 'INTERNAL' });
  });

  return {
    name: config.name,
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      // Not a graceful QUIT: the server may be paused or gone.
      client.destroy();
    },
  };
}
