/**
 * The package's public types: what an app passes in and what it gets back. The ground floor: every layer may
 * import from here, and this file imports nothing of the package but the store contract's types.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VerifyPushErrorCode } from './errors.js';
import type { ChallengeStore, ChallengeStatus } from './stores/types.js';

/**
 * The part of a twilio-node client (v5 or v6) this package uses. We call the client's own low-level
 * `request()` rather than the generated resource classes because it is the only layer that exposes
 * response headers (to honour `Retry-After`) and accepts a per-call timeout; region, edge, auth and
 * any custom `httpClient` still apply exactly as for the SDK's own calls.
 */
export interface TwilioClientLike {
  accountSid: string;
  username?: string;
  password?: string;
  request(opts: {
    method: 'get' | 'post' | 'delete';
    uri: string;
    data?: object;
    params?: object;
    timeout?: number;
  }): Promise<unknown>;
}

/** One label/value line the phone shows with the push. */
export interface DetailField {
  label: string;
  value: string;
}

/** A user's push device as Verify knows it (a factor). */
export interface PushFactor {
  sid: string;
  friendlyName: string;
  status: 'unverified' | 'verified';
  dateCreated: Date;
}

/**
 * The request as this package reads it: Node's IncomingMessage plus what Express, express-session and
 * Passport add. Declared structurally so the package needs no Express types; an Express `Request`
 * satisfies it.
 */
export interface VerifyPushRequest extends IncomingMessage {
  user?: unknown;
  /** Express's client address (honours the app's own `trust proxy` setting). */
  ip?: string;
  session?: object;
  sessionID?: string;
  res?: ServerResponse;
  /** Express's matched route: set inside `app.get/post(...)`, unset in `app.use(...)` middleware. */
  route?: unknown;
}

/** What `message`, `fields` and `hiddenDetails` functions receive. */
export interface ChallengeContext<User = unknown> {
  req: VerifyPushRequest;
  user: User;
  /** `req.ip` (Express), else the socket's remote address, else "unknown". */
  ip: string;
  /** The raw User-Agent header ("" when absent). */
  userAgent: string;
  /** When the challenge is being created. */
  time: Date;
}

export interface RateLimit {
  /** Most events allowed in one window. Integer ≥ 1. */
  max: number;
  /** Length of the fixed window, in seconds. Integer 1–86400. */
  windowSeconds: number;
}

export interface RateLimitOptions {
  /**
   * Challenge starts per user from one client address (Verify identity and `req.ip`). Default
   * `{ max: 5, windowSeconds: 900 }`; `false` turns it off. Keyed to the address so that someone holding the
   * password cannot use up the owner's starts from another address. Checked before any Twilio call.
   */
  perUser?: Partial<RateLimit> | false;
  /**
   * Challenge starts per user from all addresses together. Default `{ max: 10, windowSeconds: 900 }`;
   * `false` turns it off. The overall bound on pushes to one phone; higher than `perUser`, so one address
   * alone can never reach it.
   */
  perUserTotal?: Partial<RateLimit> | false;
  /**
   * Challenge starts per client IP (`req.ip`), all users together. Default `{ max: 20, windowSeconds: 900 }`;
   * `false` turns it off. Checked first: an attempt it refuses spends no allowance of the per-user limits.
   * Behind a proxy set Express's `trust proxy`, or every user shares the proxy's address and this limit.
   */
  perIp?: Partial<RateLimit> | false;
  /**
   * Denied challenges per user. Default `{ max: 3, windowSeconds: 3600 }`; `false` turns it off.
   * Once a user has `max` denials in the window, new starts answer 429 until the window ends
   * (repeated denials mean someone else holds the password: ask the user for a password reset).
   * `onDenied` is told of every denial, including denials of superseded and expired challenges.
   */
  denials?: Partial<RateLimit> | false;
}

/**
 * One denied challenge, reported once by whoever recorded it. The webhook carries no user cookie, so a denial
 * it records comes with the Verify `identity` only (compare it with `strategy.identityOf(user, req)`); a
 * denial noticed by the user's own poll also has `user` and `req`.
 */
export interface DeniedEvent<User = unknown> {
  identity: string;
  /** Denials counted for this identity in the current window, this one included. */
  count: number;
  /** The `limits.denials.max` in force (0 when denial limiting is off). */
  limit: number;
  user?: User;
  req?: VerifyPushRequest;
}

export interface ApprovedChallenge {
  challengeSid: string;
  identity: string;
  factorSid: string;
  transactionId: string;
  createdAt: Date;
  /** When the approval was recorded. */
  approvedAt: Date;
}

export type VerifyDone<User> = (err: unknown, user?: User | false | null, info?: object) => void;
/** Called once a challenge is approved, before the login: `done(null, user)` to log in, `done(null, false)` to refuse. */
export type VerifyFunction<User> = (user: User, challenge: ApprovedChallenge, done: VerifyDone<User>) => void;
export type VerifyFunctionWithRequest<User> = (
  req: VerifyPushRequest,
  user: User,
  challenge: ApprovedChallenge,
  done: VerifyDone<User>,
) => void;

export interface VerifyPushOptions<User = unknown> {
  /** A twilio client (v5 or v6). Give this, or `accountSid` + `authToken`. */
  client?: TwilioClientLike;
  /** Account SID ("AC" + 32 hex) used to create a client when `client` is not given. */
  accountSid?: string;
  /**
   * Auth token. Creates the client together with `accountSid`, and is the key Twilio signs webhooks with.
   * With a `client` (which may use an API key, whose secret cannot check signatures) pass it here too if
   * you mount `strategy.webhook()`; it is never read from the client.
   */
  authToken?: string;
  /** The Verify service SID ("VA" + 32 hex). Required. */
  serviceSid: string;

  /** The user who passed the first factor (synchronously). Default `req.user`. Falsy means "no first factor yet". */
  getUser?(req: VerifyPushRequest): User | null | undefined | false;
  /**
   * The Verify identity of a user: 8–64 letters/digits in dash-separated groups, stable, not PII.
   * Default: HMAC-SHA256(`identitySecret`, `userId(user)`) as 64 hex characters. `req` is absent when the
   * app asks outside a request (`strategy.identityOf(user)`, e.g. in a test or an admin script), so an
   * identity must not depend on the request.
   */
  identity?(user: User, req?: VerifyPushRequest): string | Promise<string>;
  /** Key for the default identity; at least 32 characters. Required unless `identity` is given. Never rotate it casually. */
  identitySecret?: string;
  /** Stable user id fed to the default identity. Default `String(user.id)`. */
  userId?(user: User): string;
  /**
   * Which factor to challenge: return a factor SID, or undefined for none.
   * Receives the user's push factors (verified or not), newest first. Default: the newest verified one.
   */
  factor?(factors: PushFactor[], user: User, req: VerifyPushRequest): string | undefined | Promise<string | undefined>;

  /** Shown in the default message: "Approve sign-in to <appName>?". */
  appName?: string;
  /** The push message (≤ 256 characters). Default "Approve sign-in to <appName>?" (or "Approve sign-in?"). */
  message?: string | ((ctx: ChallengeContext<User>) => string);
  /**
   * Label/value pairs the phone shows (≤ 20 fields, label ≤ 36, value ≤ 128 characters).
   * Default: IP address, browser and time of the request (see `defaultFields`).
   */
  fields?(ctx: ChallengeContext<User>): DetailField[];
  /**
   * Extra hidden details for your device app (string values). `transaction_id` and `match_code` are reserved.
   * The whole hidden details JSON, ours included, must stay ≤ 1024 characters.
   */
  hiddenDetails?(ctx: ChallengeContext<User>): Record<string, string>;

  /** Challenge lifetime in seconds. Default 300; integer 30–600 (capped at 10 minutes on purpose). */
  expiresInSeconds?: number;
  /** How often clients are told to poll, and how often Twilio is fetched without a webhook, in ms. Default 2000; 1000–60000. */
  pollIntervalMs?: number;
  /**
   * Whether Twilio's challenge webhook reaches your app (any instance), so outcomes usually arrive by
   * webhook and Twilio is fetched only every `webhookFallbackPollMs` per challenge, in case one is lost.
   * Set it on every instance of a deployment the same way, including web nodes that do not mount the
   * handler themselves (a separate webhook worker). Default: true once this instance calls
   * `strategy.webhook()`, false before.
   */
  expectWebhooks?: boolean;
  /**
   * With webhooks expected, Twilio is fetched at most this often per challenge (ms), as a fallback in case a
   * webhook is lost. Default 15000; between `pollIntervalMs` and 600000.
   */
  webhookFallbackPollMs?: number;
  /** Where challenges, counters and leases live. Default: a new in-memory store (one process only). */
  store?: ChallengeStore;
  /** Browsers are redirected (303) here while a challenge is pending. Without it they get the 202 JSON body. */
  waitUrl?: string;
  /**
   * Number matching: the login screen shows a code the user must enter on the device before approving.
   * `true` uses 2 digits; `{ digits }` takes 2–6. Default false (off).
   */
  numberMatching?: boolean | { digits?: number };
  /** Start and denial limits (push-fatigue defences). */
  limits?: RateLimitOptions;
  /**
   * Told of every denied challenge exactly once, with the running count, whether the webhook or a poll
   * recorded it: alert the user or lock the account. An error it throws fails the request that recorded it.
   */
  onDenied?(event: DeniedEvent<User>): void | Promise<void>;
  /**
   * Longest a session counts as having passed the second factor, in seconds since its last approval (or since
   * a remembered browser was let in). After that the gate asks for a push again. Default 43200 (12 hours);
   * 60–2592000. Routes can ask for a more recent approval with the `maxAge` authenticate option (step-up).
   */
  maxAgeSeconds?: number;
  /**
   * How recent an approval must be to add or remove a device, in seconds (enrolment token, device removal).
   * Default 300; 30–3600. Only a push approved on a device is fresh: a remembered browser never is.
   */
  deviceChangeMaxAgeSeconds?: number;
  /**
   * Told when a user's devices change: an enrolment token was minted (`'enrolment-started'`), a device was
   * verified (`'added'`, from Twilio's `factor.verified` webhook) or removed (`'removed'`). E-mail the user
   * from here. Every change also forgets the user's remembered browsers.
   */
  onDeviceChange?(event: DeviceChangeEvent<User>): void | Promise<void>;
  /**
   * Remembered browsers, off by default: after an approved login the app may let that browser skip the login
   * push for `days` (the `remember` authenticate option says when). A signed, HttpOnly, SameSite=Lax cookie,
   * bound to the user's identity and to a per-user revocation counter in the store; `forgetBrowsers(user)`,
   * and any device change, end every remembered browser of the user at once. Step-up and transaction
   * approval always push.
   */
  rememberBrowser?: RememberBrowserOptions | false;
  /** Timeout of one Twilio request, in ms. Default 5000; 100–60000. */
  requestTimeoutMs?: number;
  /** Extra attempts after a transient Twilio failure. Default 2; 0–10. */
  retries?: number;
  /** Pass `req` as the first argument of the verify callback. Default false. */
  passReqToCallback?: boolean;
  /** Source of "now" in ms since the epoch. Default `Date.now`. Tests share one with the emulator. */
  clock?: () => number;
}


/**
 * Options of `passport.authenticate('verify-push', options)`: this strategy's own, plus the Passport options
 * it honours. A typed object rather than a global widening of Passport's options, so a typo is a type error:
 * `const gate: VerifyPushAuthenticateOptions = { gate: true }; app.use(passport.authenticate('verify-push', gate));`
 */
export interface VerifyPushAuthenticateOptions {
  /**
   * Gate mode: a request without a first-factor user passes through untouched (your own login check handles
   * it), a session that finished the second factor passes without a new challenge, and one that has only the
   * password gets its push and waits. Route mode: no user fails with FIRST_FACTOR_REQUIRED and a verified
   * session is logged in again.
   *
   * Default: gate when the middleware is mounted application- or router-wide
   * (`app.use(passport.authenticate('verify-push'))`, where Express has matched no route), route inside a
   * route (`app.post('/login/push', passport.authenticate('verify-push'))`). An explicit value always wins.
   */
  gate?: boolean;
  /**
   * How a pending challenge is reported. `'respond'` (default): the strategy answers itself, 202 JSON for
   * API clients, 303 to `waitUrl` for browsers. `'callback'`: Passport's `fail(info, 202)`, so a custom
   * callback `(err, user, info, status)` sees `user === false`, `status === 202` and the pending body as
   * `info`. Use it only with a custom callback (without one, Passport treats it as a failure and would
   * follow `failureRedirect`).
   */
  pending?: 'respond' | 'callback';
  /**
   * Step-up by age, in seconds: let the request through only if this session's last push was approved within
   * `maxAge` (as OpenID Connect's max_age); otherwise push again (`message`, `fields`) and answer pending, with
   * the page that asked as the way back. The approval renews the session's time; the login is not repeated.
   */
  maxAge?: number;
  /** The step-up push's message (≤ 256 characters). Default: the strategy's message. */
  message?: string;
  /** The step-up push's fields. Default: the strategy's fields. */
  fields?: DetailField[];
  /**
   * Remember this browser once its login push is approved (with the `rememberBrowser` strategy option on):
   * true, or a function of the request (e.g. the "remember this browser" box the login form stored), asked only
   * on the request that completes the login.
   */
  remember?: boolean | ((req: VerifyPushRequest) => boolean);
  /**
   * This request is the person's own request for a new push: a "Send a new request" button after a denial or
   * an expiry. For 2 s after a push ends, the session's other requests answer that end instead of pushing again
   * (they set out before the phone answered); a request with `askAgain` is never one of those, so it starts a
   * new push at once. Mount it only on the route such a button posts to.
   */
  askAgain?: boolean;
  // Passport's own options, so one typed object serves both.
  session?: boolean;
  keepSessionInfo?: boolean;
  successRedirect?: string;
  successReturnToOrRedirect?: string;
  successMessage?: boolean | string;
  successFlash?: boolean | string;
  failureRedirect?: string;
  failureMessage?: boolean | string;
  failureFlash?: boolean | string;
  failWithError?: boolean;
  assignProperty?: string;
  authInfo?: boolean;
}

/** What a failed attempt hands Passport as `info`: a stable code and a sentence for `failureMessage`. */
export interface VerifyPushFailure {
  code: VerifyPushErrorCode;
  message: string;
  /** Seconds, with RATE_LIMITED. */
  retryAfter?: number;
}

/** Where the session's sign-in stands, as a waiting page may see it. */
export type WaitState = 'none' | ChallengeStatus;

/**
 * The session's own challenge as a waiting page or the events endpoint sees it (`strategy.status(req)`).
 * Never the challenge sid.
 */
export interface VerifyPushStatus {
  state: WaitState;
  /** ms since epoch */
  expiresAt?: number;
  /** When a polling client should ask again, in ms. */
  pollAfterMs?: number;
  /** For silent approval by an app on the registered device. */
  transactionId?: string;
  /** Number matching: the code the login screen shows. */
  matchCode?: string;
  message?: string;
  fields?: DetailField[];
  /** What the pending push is for. */
  purpose?: PushPurpose;
  /** Where to go once it is approved (a step-up's asking page). */
  returnTo?: string;
}

/** What a client learns while the challenge waits for the phone (the 202 body). Never the challenge sid. */
export interface PendingBody {
  status: 'pending';
  code: 'CHALLENGE_PENDING';
  /** ISO 8601 */
  expiresAt: string;
  /** Ask again after this many ms. */
  pollAfterMs: number;
  /** For silent approval by an app on the registered device. */
  transactionId: string;
  /** Number matching: show this on the login screen; the user types it on the phone. */
  matchCode?: string;
  /** The push message and fields, so the waiting page can say what to look for on the phone. */
  message: string;
  fields: DetailField[];
  /** What the push is for (login, step-up, action); absent for a login. */
  purpose?: PushPurpose;
  /** Where to go once it is approved (a step-up's asking page). */
  returnTo?: string;
}

/** The challenge a session is waiting for. Everything needed to check an approval belongs to it. */
export interface PendingMark {
  challengeSid: string;
  serviceSid: string;
  identity: string;
  factorSid: string;
  transactionId: string;
  /** ms since epoch */
  expiresAt: number;
  matchCode?: string;
  message: string;
  fields: DetailField[];
  /** What the push is for: a login (default), a step-up, or one action (transaction approval). */
  purpose?: PushPurpose;
  /** The digest of the action a transaction approval is bound to. */
  actionDigest?: string;
  /** Where the waiting page goes once the push is approved (the page that asked for a step-up). */
  returnTo?: string;
}

/** What a push is for. */
export type PushPurpose = 'login' | 'step-up' | 'action';

/** "This session passed the second factor", valid only for `identity` and only in session `sessionId`. */
export interface VerifiedMark {
  identity: string;
  sessionId: string;
  /** ms since epoch: when a push was last approved (the auth_time), or when a remembered browser was let in */
  at: number;
  /** Let in by a remembered browser, not by a push: never fresh enough for step-up or device changes. */
  remembered?: boolean;
}

export interface RememberBrowserOptions {
  /** How long a browser is remembered, in days. 1–90. */
  days: number;
  /** Key of the cookie's signature, at least 32 characters. Default: `identitySecret`. */
  secret?: string;
  /** Cookie name. Default `'verify_push_browser'`. */
  cookieName?: string;
  /** Send the cookie over HTTPS only. Default true; false for plain-HTTP development. */
  secure?: boolean;
}

/** One change to a user's devices (see `onDeviceChange`). */
export interface DeviceChangeEvent<User = unknown> {
  kind: 'enrolment-started' | 'added' | 'removed';
  identity: string;
  /** The device, when known (added, removed). */
  factorSid?: string;
  /** Present when the change came through the app's own request (not the webhook). */
  user?: User;
  req?: VerifyPushRequest;
}

/** The action a transaction approval shows on the phone and binds the approval to. */
export interface ActionDescription {
  /** What kind of action: 'payment', 'api-key', 'device'… */
  type: string;
  /**
   * The values the approval is bound to (amount, currency, payee…), as strings. The same request with any of
   * them different needs a new approval.
   */
  data: Record<string, string>;
  /** The push message (≤ 256 characters), e.g. "Pay 120.00 EUR to ACME Ltd?". */
  message: string;
  /** What the phone shows beside the message; default: one field per `data` entry. */
  fields?: DetailField[];
}

/** What an action's handler receives once its approval was used (for its audit log). */
export interface ApprovedAction {
  type: string;
  data: Record<string, string>;
  message: string;
  fields: DetailField[];
  /** The digest of the action, as in the challenge's hidden details. */
  digest: string;
  challengeSid: string;
  factorSid: string;
  transactionId: string;
  /** When the phone's approval was recorded. */
  approvedAt: Date;
}

/**
 * What the strategy keeps under `req.session.verifyPush`. For TypeScript apps that declare their session:
 * `declare module 'express-session' { interface SessionData { verifyPush?: VerifyPushSessionData } }`.
 */
export interface VerifyPushSessionData {
  pending?: PendingMark;
  verified?: VerifiedMark;
  /** How the session's last push ended (denied, expired…), for its requests already on their way. */
  ended?: EndedMark;
}

/** The end of a session's push, as its parallel requests must hear it too. */
export interface EndedMark {
  identity: string;
  purpose: PushPurpose;
  code: VerifyPushErrorCode;
  message: string;
  /** ms since epoch when the end was reported to the session */
  at: number;
}
