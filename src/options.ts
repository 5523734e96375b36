import type { IncomingMessage, ServerResponse } from 'node:http';
import twilio from 'twilio';
import { VerifyPushError } from './errors.js';
import { MIN_IDENTITY_SECRET_LENGTH } from './flow/identity.js';
import { isSid } from './sids.js';
import { MAX_MESSAGE_LENGTH } from './flow/details.js';
import type { ChallengeStore } from './stores/types.js';
import type { TwilioClientLike } from './twilio/http.js';
import type { DetailField, PushFactor } from './twilio/verify-api.js';

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
   * Once `strategy.webhook()` has been created, Twilio is fetched at most this often per challenge (ms), as a
   * fallback in case a webhook is lost. Default 15000; between `pollIntervalMs` and 600000.
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
  /** Timeout of one Twilio request, in ms. Default 5000; 100–60000. */
  requestTimeoutMs?: number;
  /** Extra attempts after a transient Twilio failure. Default 2; 0–10. */
  retries?: number;
  /** Pass `req` as the first argument of the verify callback. Default false. */
  passReqToCallback?: boolean;
  /** Source of "now" in ms since the epoch. Default `Date.now`. Tests share one with the emulator. */
  clock?: () => number;
}

export interface ResolvedLimits {
  perUser: RateLimit | undefined;
  perUserTotal: RateLimit | undefined;
  perIp: RateLimit | undefined;
  denials: RateLimit | undefined;
}

/** Options after validation, with every default filled in. */
export interface ResolvedOptions<User> {
  client: TwilioClientLike;
  accountSid: string;
  authToken: string | undefined;
  serviceSid: string;
  getUser(req: VerifyPushRequest): User | null | undefined | false;
  identityFunction: ((user: User, req?: VerifyPushRequest) => string | Promise<string>) | undefined;
  identitySecret: string | undefined;
  userId(user: User): string;
  factor: ((factors: PushFactor[], user: User, req: VerifyPushRequest) => string | undefined | Promise<string | undefined>) | undefined;
  appName: string | undefined;
  message: string | ((ctx: ChallengeContext<User>) => string) | undefined;
  fields: ((ctx: ChallengeContext<User>) => DetailField[]) | undefined;
  hiddenDetails: ((ctx: ChallengeContext<User>) => Record<string, string>) | undefined;
  expiresInMs: number;
  pollIntervalMs: number;
  webhookFallbackPollMs: number;
  store: ChallengeStore | undefined;
  waitUrl: string | undefined;
  /** 0 when number matching is off. */
  matchDigits: number;
  limits: ResolvedLimits;
  onDenied: ((event: DeniedEvent<User>) => void | Promise<void>) | undefined;
  requestTimeoutMs: number;
  retries: number;
  passReqToCallback: boolean;
  clock: () => number;
}

export const DEFAULTS = {
  expiresInSeconds: 300,
  maxExpiresInSeconds: 600,
  minExpiresInSeconds: 30,
  pollIntervalMs: 2000,
  webhookFallbackPollMs: 15000,
  matchDigits: 2,
  requestTimeoutMs: 5000,
  retries: 2,
  perUser: { max: 5, windowSeconds: 900 },
  perUserTotal: { max: 10, windowSeconds: 900 },
  perIp: { max: 20, windowSeconds: 900 },
  denials: { max: 3, windowSeconds: 3600 },
} as const;

function invalid(message: string): VerifyPushError {
  return new VerifyPushError('INVALID_OPTION', message);
}

function optionalFunction<T>(options: Record<string, unknown>, name: string): T | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalid(`The \`${name}\` option must be a function.`);
  return value as T;
}

function integerOption(
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  unit: string,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`The \`${name}\` option must be a whole number of ${unit} from ${min} to ${max}.`);
  }
  return value;
}

function limitOption(
  value: unknown,
  name: string,
  fallback: RateLimit,
): RateLimit | undefined {
  if (value === false) return undefined;
  if (value === undefined) return { ...fallback };
  if (typeof value !== 'object' || value === null) {
    throw invalid(`The \`limits.${name}\` option must be an object { max, windowSeconds } or false.`);
  }
  const record = value as Record<string, unknown>;
  const max = record.max ?? fallback.max;
  const windowSeconds = record.windowSeconds ?? fallback.windowSeconds;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1_000_000) {
    throw invalid(`The \`limits.${name}.max\` option must be a whole number from 1 to 1000000.`);
  }
  if (typeof windowSeconds !== 'number' || !Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 86_400) {
    throw invalid(`The \`limits.${name}.windowSeconds\` option must be a whole number of seconds from 1 to 86400.`);
  }
  return { max, windowSeconds };
}

function resolveLimits(value: unknown): ResolvedLimits {
  if (value === undefined) value = {};
  if (typeof value !== 'object' || value === null) throw invalid('The `limits` option must be an object.');
  const limits = value as Record<string, unknown>;
  return {
    perUser: limitOption(limits.perUser, 'perUser', DEFAULTS.perUser),
    perUserTotal: limitOption(limits.perUserTotal, 'perUserTotal', DEFAULTS.perUserTotal),
    perIp: limitOption(limits.perIp, 'perIp', DEFAULTS.perIp),
    denials: limitOption(limits.denials, 'denials', DEFAULTS.denials),
  };
}

function resolveMatchDigits(value: unknown): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return DEFAULTS.matchDigits;
  if (typeof value === 'object' && value !== null) {
    const digits = (value as { digits?: unknown }).digits ?? DEFAULTS.matchDigits;
    if (typeof digits === 'number' && Number.isInteger(digits) && digits >= 2 && digits <= 6) return digits;
    throw invalid('The `numberMatching.digits` option must be a whole number from 2 to 6.');
  }
  throw invalid('The `numberMatching` option must be true, false or { digits }.');
}

function resolveClient(options: Record<string, unknown>): { client: TwilioClientLike; accountSid: string; authToken: string | undefined } {
  const { client, accountSid, authToken } = options;
  if (authToken !== undefined && (typeof authToken !== 'string' || authToken === '')) {
    throw invalid('The `authToken` option must be a non-empty string.');
  }
  if (accountSid !== undefined && !isSid('account', accountSid)) {
    throw invalid('The `accountSid` option must be an account SID: "AC" followed by 32 hex digits.');
  }
  if (client !== undefined) {
    const candidate = client as Partial<TwilioClientLike> | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.request !== 'function') {
      throw invalid('The `client` option must be a twilio client (for example `twilio(accountSid, authToken)`).');
    }
    if (!isSid('account', candidate.accountSid)) {
      throw invalid('The `client` option must be a twilio client created with an account SID.');
    }
    if (accountSid !== undefined && accountSid !== candidate.accountSid) {
      throw invalid('The `accountSid` option does not match the account of the `client` option.');
    }
    return { client: candidate as TwilioClientLike, accountSid: candidate.accountSid, authToken: authToken as string | undefined };
  }
  if (accountSid === undefined || authToken === undefined) {
    throw invalid('Give either the `client` option or both the `accountSid` and `authToken` options.');
  }
  const created = twilio(accountSid as string, authToken as string) as unknown as TwilioClientLike;
  return { client: created, accountSid: accountSid as string, authToken: authToken as string };
}

function defaultGetUser<User>(req: VerifyPushRequest): User | undefined {
  return req.user as User | undefined;
}

function defaultUserId(user: unknown): string {
  const id = (user as { id?: unknown } | null)?.id;
  if ((typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'bigint') || id === '') {
    // Guessing an id (e.g. from the whole object) could give two users one identity: refuse instead.
    throw invalid('The default `userId` needs `user.id`; give the `userId` or `identity` option.');
  }
  return String(id);
}

/** Validates every option at construction so a wrong configuration fails at startup, not at the first login. */
export function resolveOptions<User>(input: VerifyPushOptions<User>): ResolvedOptions<User> {
  if (typeof input !== 'object' || input === null) throw invalid('The options argument must be an object.');
  const options = input as unknown as Record<string, unknown>;

  if (!isSid('service', options.serviceSid)) {
    throw invalid('The `serviceSid` option must be a Verify service SID: "VA" followed by 32 hex digits.');
  }
  const { client, accountSid, authToken } = resolveClient(options);

  const identityFunction = optionalFunction<ResolvedOptions<User>['identityFunction']>(options, 'identity');
  const identitySecret = options.identitySecret;
  if (identitySecret !== undefined && (typeof identitySecret !== 'string' || identitySecret.length < MIN_IDENTITY_SECRET_LENGTH)) {
    throw invalid(`The \`identitySecret\` option must be a string of at least ${MIN_IDENTITY_SECRET_LENGTH} characters.`);
  }
  if (identityFunction === undefined && identitySecret === undefined) {
    throw invalid('The `identitySecret` option is required unless you give the `identity` option.');
  }

  const appName = options.appName;
  if (appName !== undefined && (typeof appName !== 'string' || appName === '')) {
    throw invalid('The `appName` option must be a non-empty string.');
  }
  const message = options.message;
  if (message !== undefined && typeof message !== 'function') {
    if (typeof message !== 'string' || message.trim() === '') {
      throw invalid('The `message` option must be a non-empty string or a function.');
    }
    if (message.length > MAX_MESSAGE_LENGTH) {
      throw new VerifyPushError('DETAILS_TOO_LONG', `The \`message\` option must be at most ${MAX_MESSAGE_LENGTH} characters.`);
    }
  }
  if (message === undefined && typeof appName === 'string' && `Approve sign-in to ${appName}?`.length > MAX_MESSAGE_LENGTH) {
    throw new VerifyPushError('DETAILS_TOO_LONG', 'The `appName` option is too long for the default message.');
  }

  const store = options.store;
  if (store !== undefined) {
    const methods = ['get', 'set', 'compareAndSet', 'delete', 'getActive', 'swapActive', 'increment', 'count', 'claim', 'release', 'subscribe'];
    const missing = methods.find((name) => typeof (store as Record<string, unknown> | null)?.[name] !== 'function');
    if (missing !== undefined) throw invalid(`The \`store\` option must be a ChallengeStore (it has no \`${missing}\` method).`);
  }

  const waitUrl = options.waitUrl;
  if (waitUrl !== undefined && (typeof waitUrl !== 'string' || waitUrl === '' || /[\r\n]/.test(waitUrl))) {
    throw invalid('The `waitUrl` option must be a URL or path without line breaks.');
  }

  const expiresInSeconds = integerOption(
    options,
    'expiresInSeconds',
    DEFAULTS.expiresInSeconds,
    DEFAULTS.minExpiresInSeconds,
    DEFAULTS.maxExpiresInSeconds,
    'seconds',
  );
  const pollIntervalMs = integerOption(options, 'pollIntervalMs', DEFAULTS.pollIntervalMs, 1000, 60_000, 'milliseconds');
  const webhookFallbackPollMs = integerOption(
    options,
    'webhookFallbackPollMs',
    Math.max(DEFAULTS.webhookFallbackPollMs, pollIntervalMs),
    pollIntervalMs,
    600_000,
    'milliseconds',
  );
  const clock = optionalFunction<() => number>(options, 'clock') ?? Date.now;
  const getUser = optionalFunction<(req: VerifyPushRequest) => User | null | undefined | false>(options, 'getUser') ?? defaultGetUser<User>;
  const passReqToCallback = options.passReqToCallback ?? false;
  if (typeof passReqToCallback !== 'boolean') throw invalid('The `passReqToCallback` option must be a boolean.');

  return {
    client,
    accountSid,
    authToken,
    serviceSid: options.serviceSid,
    getUser,
    identityFunction,
    identitySecret: identitySecret as string | undefined,
    userId: optionalFunction<(user: User) => string>(options, 'userId') ?? defaultUserId,
    factor: optionalFunction(options, 'factor'),
    appName: appName as string | undefined,
    message: message as ResolvedOptions<User>['message'],
    fields: optionalFunction(options, 'fields'),
    hiddenDetails: optionalFunction(options, 'hiddenDetails'),
    expiresInMs: expiresInSeconds * 1000,
    pollIntervalMs,
    webhookFallbackPollMs,
    store: store as ChallengeStore | undefined,
    waitUrl: waitUrl as string | undefined,
    matchDigits: resolveMatchDigits(options.numberMatching),
    limits: resolveLimits(options.limits),
    onDenied: optionalFunction(options, 'onDenied'),
    requestTimeoutMs: integerOption(options, 'requestTimeoutMs', DEFAULTS.requestTimeoutMs, 100, 60_000, 'milliseconds'),
    retries: integerOption(options, 'retries', DEFAULTS.retries, 0, 10, 'retries'),
    passReqToCallback,
    clock,
  };
}
