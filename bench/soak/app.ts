/**
 * One app instance of the soak deployment, built the way the README tells a multi-instance app to: its own
 * node-redis client with fail-fast options serving both connect-redis sessions and the RedisChallengeStore,
 * Passport with a password stub, the strategy as the login route and as a gate in front of /app (both with
 * custom callbacks, so every failure answer carries its code), the events and resend endpoints, and the
 * webhook (on every instance: the proxy in front of them balances Twilio's posts). It reports approvals
 * consumed, logins and denials to the soak, each with the login attempt that caused it when a browser did.
 */
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { isVerifyPushError } from '../../src/errors.js';
import { RedisChallengeStore } from '../../src/stores/redis/index.js';
import { emulatorClient } from '../../src/testing/index.js';
import type { VerifyPushAuthenticateOptions } from '../../src/types.js';
import type { InstanceConfig, InstanceEvent, InstanceStats, InstanceUser } from './instance-config.js';

export interface RunningApp {
  url: string;
  stats(): Promise<InstanceStats>;
  close(): Promise<void>;
}

/** Fail fast against a hung or restarting Redis: answers in half a second or an error, never a queue. */
function failFastClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: 500 },
    socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) },
  });
}

/** A session store error, told apart so it is answered as "try again" (503) rather than a bug (500). */
class SessionStoreFailure extends Error {
  constructor() {
    super('The session store failed.');
  }
}

type SoakRequest = Request & { soakChallenge?: string };
type AuthCallback = (err: unknown, user: InstanceUser | false, info: Record<string, unknown> | undefined, status: number | undefined) => void;

function attemptOf(req: { headers?: http.IncomingHttpHeaders } | undefined): string | undefined {
  const value = req?.headers?.['x-soak-attempt'];
  return typeof value === 'string' ? value : undefined;
}

function answerFailure(res: Response, info: Record<string, unknown> | undefined, status: number | undefined): void {
  if (typeof info?.retryAfter === 'number') res.set('Retry-After', String(info.retryAfter));
  res.status(status ?? 401).json(info ?? {});
}

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

export async function startApp(config: InstanceConfig, emit: (event: InstanceEvent) => void): Promise<RunningApp> {
  const { deployment, name: instance } = config;
  const client = failFastClient(config.redisUrl);
  // node-redis ends the process on an 'error' event nobody listens to; callers see the errors anyway.
  client.on('error', () => undefined);
  await client.connect();
  const store = await RedisChallengeStore.create({ client, prefix: config.prefix, operationTimeoutMs: deployment.operationTimeoutMs });
  const users = new Map(config.users.map((user) => [user.name, user]));
  const usersById = new Map(config.users.map((user) => [user.id, user]));

  const strategy = new VerifyPushStrategy<InstanceUser>(
    {
      client: emulatorClient(config.emulator),
      authToken: config.emulator.authToken,
      serviceSid: config.serviceSid,
      identitySecret: config.identitySecret,
      appName: 'Soak',
      store,
      expiresInSeconds: deployment.expiresInSeconds,
      pollIntervalMs: deployment.pollIntervalMs,
      webhookFallbackPollMs: deployment.webhookFallbackPollMs,
      requestTimeoutMs: deployment.requestTimeoutMs,
      retries: deployment.retries,
      limits: deployment.limits,
      passReqToCallback: true,
      onDenied: (event) =>
        emit({ type: 'denied', instance, attempt: attemptOf(event.req), identity: event.identity, count: event.count, limit: event.limit, at: Date.now() }),
    },
    (req, user, challenge, done) => {
      (req as SoakRequest).soakChallenge = challenge.challengeSid;
      emit({
        type: 'verified',
        instance,
        attempt: attemptOf(req),
        user: user.name,
        identity: challenge.identity,
        challengeSid: challenge.challengeSid,
        transactionId: challenge.transactionId,
        at: Date.now(),
      });
      done(null, user);
    },
  );
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, (user as InstanceUser).id));
  passport.deserializeUser((id: string, done) => done(null, usersById.get(id) ?? false));

  const app = express();
  // Browsers come through the soak's load balancer on this host, which names their address.
  app.set('trust proxy', 'loopback');
  const server = http.createServer(app);

  // Before any body parser and outside the session: Twilio's post carries no cookie.
  app.post('/twilio/verify', strategy.webhook({ url: config.webhookUrl }));
  const sessions = session({
    secret: config.sessionSecret,
    resave: false,
    saveUninitialized: false,
    store: new RedisStore({ client, prefix: `${config.prefix}sess:` }),
  });
  app.use((req, res, next) => sessions(req, res, (err?: unknown) => next(err === undefined ? undefined : new SessionStoreFailure())));
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(express.json());

  const loggedIn = (req: SoakRequest, user: InstanceUser): void => {
    emit({ type: 'login', instance, attempt: attemptOf(req), user: user.name, challengeSid: req.soakChallenge, at: Date.now() });
  };

  // The first factor: a password stub (every soak user's password is right).
  app.post('/login', (req, res, next) => {
    const user = users.get(String((req.body as { username?: unknown } | undefined)?.username));
    if (!user) {
      res.status(401).json({ code: 'BAD_PASSWORD' });
      return;
    }
    req.logIn(user, (err) => (err ? next(err) : res.json({ user: user.name })));
  });

  /**
   * The strategy with a custom callback, as the login route and as the gate: a refusal is answered with its
   * code, a verified user is logged in and reported, then `proceed` ends the request or passes it on.
   */
  const verifyPush =
    (options: VerifyPushAuthenticateOptions, proceed: (res: Response, next: NextFunction, user: InstanceUser) => void) =>
    (req: Request, res: Response, next: NextFunction): void => {
      const callback: AuthCallback = (err, user, info, status) => {
        if (err) return next(err);
        if (!user) return answerFailure(res, info, status);
        req.logIn(user, (loginErr) => {
          if (loginErr) return next(loginErr);
          loggedIn(req, user);
          proceed(res, next, user);
        });
      };
      passport.authenticate('verify-push', options, callback)(req, res, next);
    };

  app.post('/login/push', verifyPush({ pending: 'callback' }, (res, _next, user) => res.json({ loggedIn: user.name, instance })));
  app.post('/login/push/resend', strategy.resend());
  app.get('/login/push/events', strategy.events(deployment.events));
  app.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.json({ loggedOut: true })));
  });

  // The gate in front of the protected pages, with a custom callback so a refusal says why.
  app.use(
    '/app',
    verifyPush({ gate: true, pending: 'callback' }, (_res, next) => next()),
    (req, res, next) => (req.user ? next() : res.status(401).json({ code: 'LOGIN_REQUIRED' })),
  );
  app.get('/app/secret', (req, res) => res.json({ user: (req.user as InstanceUser).name, instance }));

  app.use((err: Error & { status?: unknown }, _req: Request, res: Response, _next: NextFunction) => {
    // A session save that failed after the answer went out: nothing more to tell the browser.
    if (res.headersSent) return;
    if (isVerifyPushError(err)) res.status(err.status).json({ code: err.code });
    else if (err instanceof SessionStoreFailure) res.status(503).json({ code: 'SESSION_STORE_UNAVAILABLE' });
    else res.status(typeof err.status === 'number' ? err.status : 500).json({ code: 'INTERNAL' });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    async stats() {
      const connections = await new Promise<number>((resolve) => server.getConnections((_err, count) => resolve(count)));
      return { name: instance, pid: process.pid, watched: store.stats(), connections, resources: countResources() };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      // No graceful QUIT: Redis may be stopped.
      client.destroy();
    },
  };
}
