/**
 * The Express app: sessions, Passport with two strategies (password, then Verify Push), the webhook,
 * and the routes. This is the part to copy into your own app. When the phone is asked again after the login:
 * the change-e-mail page (step-up by age), each payment (transaction approval), device changes (a recent
 * push), and never for a remembered browser's login unless it was forgotten.
 */
import express, { type ErrorRequestHandler } from 'express';
import session, { type Store } from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { VerifyPushStrategy, type ChallengeStore, type EventsOptions } from 'passport-twilio-verify-push';
import type { Accounts } from './accounts.js';
import type { Backend } from './backend.js';
import { workerMarks } from './cluster/worker-marks.js';
import { PATHS, type ExampleContext, type RecentPushPolicy } from './context.js';
import { deviceRoutes } from './device-routes.js';
import { asyncRoute, chrome, contentSecurityPolicy, wantsJson } from './http-helpers.js';
import { deviceNotices } from './notices.js';
import { deviceManagementRoutes } from './routes/devices.js';
import { emailRoutes } from './routes/email.js';
import { loginRoutes } from './routes/login.js';
import { pageRoutes } from './routes/pages.js';
import { pushRoutes } from './routes/push.js';
import { sendMoneyRoutes } from './routes/send-money.js';
import { WEBHOOK_PATH } from './twilio-mode.js';
import { publicUser, type PublicUser, type UserDirectory } from './users.js';
import { errorPage } from './views/pages.js';

export interface AppSettings {
  backend: Backend;
  users: UserDirectory;
  clock: () => number;
  baseUrl: string;
  numberMatching: boolean;
  expiresInSeconds: number;
  events: EventsOptions;
  forceLongPoll: boolean;
  resendPauseMs: number;
  sessionSecret: string;
  /** Behind a tunnel or proxy (real Twilio mode): trust X-Forwarded-* from loopback only. */
  trustProxy: boolean;
  /** The app's public address is https: the remembered-browser cookie is then sent over HTTPS only. */
  servedOverHttps: boolean;
  /** When the phone is asked again (step-up, device changes) and how long a browser is remembered. */
  policy: RecentPushPolicy;
  /** Per-user data (e-mail, payments, notifications): in memory, or in Redis for several processes. */
  accounts: Accounts;
  /** Shared stores (Redis) for several processes; default: both in memory, for one process. */
  stores?: { sessions: Store; challenges: ChallengeStore };
  /** This instance's name in a cluster: every answer says which worker gave it. */
  worker?: string;
  /** Log lines, prefixed with the worker's name in a cluster. */
  log: (line: string) => void;
  logError: (line: string) => void;
}

/** Demo users whose phone exists from the start; it is enrolled the first time they pass the password. */
const USERS_WITH_A_PHONE = new Set(['alice']);

export function buildExpressApp(settings: AppSettings): express.Express {
  const { backend, users } = settings;
  const app = express();
  if (settings.trustProxy) app.set('trust proxy', 'loopback');

  const push = new VerifyPushStrategy<PublicUser>({
    client: backend.client,
    // Needed to check webhook signatures (Twilio signs with the auth token).
    authToken: backend.authToken,
    serviceSid: backend.serviceSid,
    // The Verify identity is an HMAC of the user id: stable, and not personal data at Twilio.
    identitySecret: backend.identitySecret,
    appName: 'the Verify Push example',
    waitUrl: PATHS.wait,
    numberMatching: settings.numberMatching,
    expiresInSeconds: settings.expiresInSeconds,
    clock: settings.clock,
    // Every instance mounts the webhook below and the emulator (or `npm run setup:twilio`) registers it: outcomes
    // arrive by webhook at some instance, maybe another one, so Twilio is only fetched as a fallback.
    expectWebhooks: true,
    // Adding or removing a device needs a push approved this recently (the devices routes' gate asks for one).
    deviceChangeMaxAgeSeconds: settings.policy.deviceChangeMaxAgeSeconds,
    // "Remember this browser": off unless configured. The cookie is Secure only when served over https (a
    // Secure cookie is never sent back over plain http, so the box would do nothing on http://localhost).
    rememberBrowser: { days: settings.policy.rememberDays, secure: settings.servedOverHttps },
    // What a real app would e-mail the user; here a log line and a notification on the account page. Twilio's
    // factor events reach the webhook too (the example registers them), so a device verified on a phone counts.
    onDeviceChange: (event) => notify(event),
    ...(settings.stores ? { store: settings.stores.challenges } : {}),
  });
  const notify = deviceNotices({ users, accounts: settings.accounts, identityOf: (user) => push.identityOf(user), clock: settings.clock, log: settings.log });

  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      users.checkPassword(username, password).then((user) => done(null, user ? publicUser(user) : false), done);
    }),
  );
  passport.use(push);
  passport.serializeUser((user, done) => done(null, (user as PublicUser).id));
  passport.deserializeUser((id: string, done) => {
    const user = users.findById(id);
    done(null, user ? publicUser(user) : false);
  });

  if (settings.worker !== undefined) app.use(workerMarks(settings.worker, settings.log));
  // Twilio's webhook first, before any body parser: the handler reads and checks the raw signed body.
  app.post(WEBHOOK_PATH, push.webhook({ url: backend.webhookUrl }));

  app.use(contentSecurityPolicy());
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));
  app.use(express.json({ limit: '8kb' }));
  app.use(
    session({
      name: 'example.sid',
      secret: settings.sessionSecret,
      ...(settings.stores ? { store: settings.stores.sessions } : {}),
      resave: false,
      saveUninitialized: false,
      // SameSite=Lax: other sites cannot make the browser POST here with this cookie (CSRF).
      cookie: { httpOnly: true, sameSite: 'lax', secure: settings.trustProxy ? 'auto' : false },
    }),
  );
  app.use(passport.session());

  const phones = backend.phones;
  const ctx: ExampleContext = {
    passport,
    push,
    users,
    accounts: settings.accounts,
    policy: settings.policy,
    clock: settings.clock,
    log: settings.log,
    deviceSimulator: phones !== undefined,
    ...(phones
      ? {
          async seedPhone(req, user) {
            if (!USERS_WITH_A_PHONE.has(user.username)) return;
            const identity = await push.identityOf(user, req);
            await phones.seed({ identity, username: user.username, friendlyName: `${user.displayName}'s phone` });
          },
        }
      : {}),
  };

  app.use(pageRoutes(ctx));
  app.use(emailRoutes(ctx));
  app.use(sendMoneyRoutes(ctx));
  app.use(deviceManagementRoutes(ctx));
  app.use(loginRoutes(ctx));
  app.use(pushRoutes(ctx, { events: settings.events, forceLongPoll: settings.forceLongPoll, resendPauseMs: settings.resendPauseMs, clock: settings.clock }));
  if (phones) app.use(deviceRoutes(phones, () => settings.baseUrl, settings.clock));

  app.use(
    asyncRoute(async (req, res) => {
      res.status(404).type('html').send(String(errorPage(await chrome(req, res, ctx), 'Not found', 'There is no such page.')));
    }),
  );
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const coded = error as { code?: unknown; status?: unknown };
    const status = typeof coded.status === 'number' && coded.status >= 400 && coded.status < 600 ? coded.status : 500;
    const code = typeof coded.code === 'string' ? coded.code : 'INTERNAL_ERROR';
    // Log the code and message only: a library error's cause may come from third-party code we do not control.
    if (status >= 500) settings.logError(`${req.method} ${req.path} failed: ${code}: ${error instanceof Error ? error.message : String(error)}`);
    if (res.headersSent) return;
    if (wantsJson(req)) {
      res.status(status).json({ code });
      return;
    }
    void chrome(req, res, ctx).then((page) => {
      if (res.headersSent) return;
      res.status(status).type('html').send(String(errorPage(page, 'Something went wrong', `The request failed (${code}). Try again.`)));
    }, () => res.status(status).end());
  };
  app.use(onError);
  return app;
}
