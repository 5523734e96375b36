/**
 * One app instance for the "when the phone is asked again" tests on Redis: its own node-redis client serving
 * express-session (connect-redis) and the RedisChallengeStore, Passport with a password stub, and the strategy
 * as a login route (remembering the browser when asked), a gate, a page behind step-up by age, a payment behind
 * transaction approval, "sign out everywhere", the status and events endpoints and (on one instance) the
 * webhook. The same function builds the instances in the test process and the one in a child process
 * (asks-again-process.ts), so its config is plain JSON.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { isVerifyPushError } from '../../src/errors.js';
import { RedisChallengeStore } from '../../src/stores/redis/index.js';
import { emulatorClient } from '../../src/testing/index.js';
import type { ApprovedAction, VerifyPushAuthenticateOptions } from '../../src/types.js';

export interface AsksAgainUser {
  id: string;
  name: string;
}

export const USERS: Record<string, AsksAgainUser> = {
  alice: { id: 'u-3001', name: 'alice' },
  bob: { id: 'u-3002', name: 'bob' },
};

export interface InstanceConfig {
  name: string;
  redisUrl: string;
  /** Key prefix of this deployment's challenges; sessions live under `<prefix>sess:`. */
  prefix: string;
  emulator: { url: string; accountSid: string; authToken: string };
  serviceSid: string;
  identitySecret: string;
  /** Mount the webhook here (the one instance Twilio calls); the others expect webhooks elsewhere. */
  webhook: boolean;
}

/** A payment the handler made, with the approval it rests on (its audit record). */
export interface PaidEvent {
  instance: string;
  user: string;
  amount: string;
  payee: string;
  challengeSid: string;
}

export interface InstanceHooks {
  /** The deployment's clock, shared with the emulator, so a test can let time pass everywhere. */
  clock: () => number;
  onLogin(event: { instance: string; user: string }): void;
  onPaid(event: PaidEvent): void;
}

export interface RunningInstance {
  name: string;
  url: string;
  close(): Promise<void>;
}

/** The step-up route: the session's last push must be at most 5 minutes old. */
export const STEP_UP: VerifyPushAuthenticateOptions = {
  gate: true,
  maxAge: 300,
  message: 'Approve changing your e-mail address?',
  fields: [{ label: 'Action', value: 'Change e-mail address' }],
};

/** The login route's "remember this browser" box: a header here. */
const LOGIN: VerifyPushAuthenticateOptions = { pending: 'callback', remember: (req) => req.headers['x-remember-browser'] === 'yes' };

/** Fails fast against a hung or stopped server (see test/redis/instance-app.ts for why each option). */
function redisClientFor(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    pingInterval: 300,
    socket: { connectTimeout: 1000, socketTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) },
  });
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

type ErrorWithStatus = Error & { status?: unknown };

export async function startAsksAgainInstance(config: InstanceConfig, hooks: InstanceHooks): Promise<RunningInstance> {
  const client = redisClientFor(config.redisUrl);
  client.on('error', () => undefined);
  await client.connect();
  const store = await RedisChallengeStore.create({ client, prefix: config.prefix, clock: hooks.clock });
  const strategy = new VerifyPushStrategy<AsksAgainUser>(
    {
      client: emulatorClient(config.emulator, { timeout: 5000 }),
      authToken: config.emulator.authToken,
      serviceSid: config.serviceSid,
      identitySecret: config.identitySecret,
      appName: 'Asks Again',
      clock: hooks.clock,
      store,
      rememberBrowser: { days: 30, secure: false },
      ...(config.webhook ? {} : { expectWebhooks: true }),
    },
    (user, _challenge, done) => {
      hooks.onLogin({ instance: config.name, user: user.name });
      done(null, user);
    },
  );
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, (user as AsksAgainUser).id));
  passport.deserializeUser((id: string, done) => done(null, Object.values(USERS).find((u) => u.id === id) ?? false));

  const app = express();
  const server = http.createServer(app);
  const url = await listen(server);
  if (config.webhook) app.post('/twilio/verify', strategy.webhook({ url: `${url}/twilio/verify` }));
  app.use(
    session({
      secret: 'asks-again-session-secret-shared-by-every-instance',
      resave: false,
      saveUninitialized: false,
      store: new RedisStore({ client, prefix: `${config.prefix}sess:` }),
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(express.json());

  app.post('/login', (req, res, next) => {
    const user = USERS[String((req.body as { username?: unknown } | undefined)?.username)];
    if (!user) {
      res.status(401).json({ code: 'BAD_PASSWORD' });
      return;
    }
    req.logIn(user, (err) => (err ? next(err) : res.json({ user: user.name })));
  });
  app.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.json({ loggedOut: true })));
  });
  app.post('/login/push', (req, res, next) => {
    passport.authenticate('verify-push', LOGIN, (err: unknown, user: AsksAgainUser | false, info: object | undefined, status: number | undefined) => {
      if (err) return next(err);
      if (!user) {
        res.status(status ?? 401).json(info ?? {});
        return;
      }
      req.logIn(user, (loginErr) => (loginErr ? next(loginErr) : res.json({ loggedIn: user.name, instance: config.name })));
    })(req, res, next);
  });
  app.get('/login/push/status', (req, res, next) => {
    strategy.status(req).then((status) => res.json(status), next);
  });
  app.get('/login/push/events', strategy.events());

  const gate: VerifyPushAuthenticateOptions = { gate: true };
  app.use('/app', passport.authenticate('verify-push', gate), (req, res, next) => (req.user ? next() : res.status(401).json({ code: 'LOGIN_REQUIRED' })));
  app.get('/app/secret', (req, res) => res.json({ secret: 42, user: (req.user as AsksAgainUser).name, instance: config.name }));

  app.get('/settings/email', passport.authenticate('verify-push', STEP_UP), (req, res) => {
    res.json({ page: 'change e-mail', instance: config.name, sessionID: req.sessionID });
  });

  app.post(
    '/payments',
    strategy.approve((req: Request) => {
      const { amount, payee } = req.body as { amount: string; payee: string };
      return { type: 'payment', data: { amount, currency: 'EUR', payee }, message: `Pay ${amount} EUR to ${payee}?` };
    }),
    (req, res) => {
      const approved = strategy.approvedAction(req) as ApprovedAction;
      const user = (req.user as AsksAgainUser).name;
      hooks.onPaid({ instance: config.name, user, amount: approved.data.amount ?? '', payee: approved.data.payee ?? '', challengeSid: approved.challengeSid });
      res.json({ paid: true, instance: config.name, challengeSid: approved.challengeSid });
    },
  );

  app.post('/sign-out-everywhere', (req, res, next) => {
    strategy.forgetBrowsers(req.user as AsksAgainUser).then(() => res.json({ forgotten: true, instance: config.name }), next);
  });

  app.use((err: ErrorWithStatus, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (isVerifyPushError(err)) {
      res.status(err.status).json({ code: err.code });
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
      client.destroy();
    },
  };
}
