/**
 * The app the benchmarks measure: Express + express-session + Passport + VerifyPushStrategy, wired as the
 * README tells users to, on 127.0.0.1. The first factor is a stand-in route (`/login/password?user=<id>`)
 * because the password step is not what any benchmark measures.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import session, { type Store } from 'express-session';
import { Passport } from 'passport';
import {
  VerifyPushStrategy,
  type ChallengeStore,
  type RateLimitOptions,
  type TwilioClientLike,
  type VerifyPushAuthenticateOptions,
} from '../../src/index.js';
import type { RunningEmulator } from '../../src/testing/index.js';

export interface BenchUser {
  id: string;
}

export const WEBHOOK_PATH = '/hooks/verify-push';
const IDENTITY_SECRET = randomBytes(32).toString('hex');

/** This process's identity secret, for another process serving the same users (a second instance). */
export function benchIdentitySecret(): string {
  return IDENTITY_SECRET;
}

/** The Verify identity the strategy derives for a user: its documented default, HMAC-SHA256 of the user id, hex. */
export function identityOf(user: BenchUser): string {
  return createHmac('sha256', IDENTITY_SECRET).update(user.id, 'utf8').digest('hex');
}

export interface PushAppOptions {
  client: TwilioClientLike;
  authToken: string;
  serviceSid: string;
  users: readonly BenchUser[];
  /** Mount `strategy.webhook()` at WEBHOOK_PATH (the URL is this server's own loopback URL). */
  webhook: boolean;
  pollIntervalMs?: number;
  store?: ChallengeStore;
  /** Sessions shared by several instances (connect-redis); default express-session's MemoryStore. */
  sessionStore?: Store;
  /** Instances sharing sessions must share the cookie secret; default a fresh random one. */
  sessionSecret?: string;
  /** Instances serving the same users must derive the same identities; default this process's secret. */
  identitySecret?: string;
  /** For an instance that does not mount the webhook itself while another instance does. */
  expectWebhooks?: boolean;
  /** Default: the per-IP limit off (every benchmark browser comes from 127.0.0.1), the others as shipped. */
  limits?: RateLimitOptions;
  /** Mount `strategy.events()` (the waiting page's server-sent events) at this path; default none. */
  eventsPath?: string;
  /** More routes (e.g. a baseline handler), mounted after sessions and Passport. */
  extraRoutes?(app: Express, passport: InstanceType<typeof Passport>): void;
}

export interface PushApp {
  server: Server;
  port: number;
  baseUrl: string;
  strategy: VerifyPushStrategy<BenchUser>;
  close(): Promise<void>;
}

/** The protected handler: the same tiny answer behind the gate and without it. */
function protectedHandler(req: Request, res: Response): void {
  res.type('text/plain').send(`ok ${(req.user as BenchUser).id}`);
}

export async function startPushApp(options: PushAppOptions): Promise<PushApp> {
  // Listen first: the webhook must be told the exact URL Twilio (the emulator) calls, port included.
  const server = createServer();
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const users = new Map(options.users.map((user) => [user.id, user]));
  const strategy = new VerifyPushStrategy<BenchUser>({
    client: options.client,
    authToken: options.authToken,
    serviceSid: options.serviceSid,
    identitySecret: options.identitySecret ?? IDENTITY_SECRET,
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.expectWebhooks === undefined ? {} : { expectWebhooks: options.expectWebhooks }),
    // Every benchmark browser comes from 127.0.0.1: a per-IP limit would measure the limiter, not the flow.
    limits: options.limits ?? { perIp: false },
  });
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, (user as BenchUser).id));
  passport.deserializeUser((id: string, done) => done(null, users.get(id) ?? false));

  const app = express();
  // Twilio's webhook before any session or body parser, as the README tells users.
  if (options.webhook) app.post(WEBHOOK_PATH, strategy.webhook({ url: `${baseUrl}${WEBHOOK_PATH}` }));
  app.use(
    session({
      secret: options.sessionSecret ?? randomBytes(16).toString('hex'),
      resave: false,
      saveUninitialized: false,
      name: 'bench.sid',
      ...(options.sessionStore === undefined ? {} : { store: options.sessionStore }),
    }),
  );
  app.use(passport.session());

  app.post('/login/password', (req, res, next) => {
    const user = users.get(String(req.query.user));
    if (!user) {
      res.sendStatus(404);
      return;
    }
    req.login(user, (err) => (err ? next(err) : res.sendStatus(204)));
  });
  app.post('/login/push', passport.authenticate('verify-push') as RequestHandler, (req, res) => {
    res.json({ user: (req.user as BenchUser).id });
  });

  const bare = express.Router();
  bare.get('/protected', protectedHandler);
  app.use('/bare', bare);
  const gated = express.Router();
  const gate: VerifyPushAuthenticateOptions = { gate: true };
  gated.use(passport.authenticate('verify-push', gate) as RequestHandler);
  gated.get('/protected', protectedHandler);
  app.use('/gated', gated);

  // The events type is the strategy's own (no Express dependency in the package), hence the cast.
  if (options.eventsPath !== undefined) app.get(options.eventsPath, strategy.events() as unknown as RequestHandler);
  options.extraRoutes?.(app, passport);
  server.on('request', app);

  return {
    server,
    port,
    baseUrl,
    strategy,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Points the emulated Verify service's webhook at `app`, for the answers a waiting page is told of. */
export async function subscribeWebhook(emulator: RunningEmulator, serviceSid: string, app: PushApp): Promise<void> {
  await emulator.client().verify.v2.services(serviceSid).webhooks.create({
    friendlyName: 'bench',
    webhookUrl: `${app.baseUrl}${WEBHOOK_PATH}`,
    eventTypes: ['challenge.approved', 'challenge.denied'],
  });
}
