/**
 * Option validation: every option is checked at construction, so a wrong configuration fails at startup with
 * a sentence naming the option, never at the first login. The public option types live in types.ts.
 */
import twilio from 'twilio';
import { VerifyPushError } from './errors.js';
import { isSid } from './sids.js';
import type { ChallengeStore } from './stores/types.js';
import { MAX_MESSAGE_LENGTH } from './twilio-limits.js';
import type {
  ChallengeContext,
  DeniedEvent,
  DeviceChangeEvent,
  RememberBrowserOptions,
  DetailField,
  PushFactor,
  RateLimit,
  TwilioClientLike,
  VerifyPushOptions,
  VerifyPushRequest,
} from './types.js';
import { wholeNumber } from './validate.js';

/** Shortest accepted `identitySecret`: 32 characters, enough key material for HMAC-SHA256. */
export const MIN_IDENTITY_SECRET_LENGTH = 32;

/** What a custom `store` must offer (the ChallengeStore contract), checked at construction. */
const STORE_METHODS: readonly string[] = [
  'get',
  'set',
  'compareAndSet',
  'getActive',
  'swapActive',
  'increment',
  'count',
  'claim',
  'release',
  'subscribe',
];

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
  /** undefined: decided by whether this instance mounts the webhook handler. */
  expectWebhooks: boolean | undefined;
  store: ChallengeStore | undefined;
  waitUrl: string | undefined;
  /** 0 when number matching is off. */
  matchDigits: number;
  limits: ResolvedLimits;
  onDenied: ((event: DeniedEvent<User>) => void | Promise<void>) | undefined;
  /** How long a verified session counts at all, in ms since its last approval. */
  maxAgeMs: number;
  /** How recent an approval must be to add or remove a device, in ms. */
  deviceChangeMaxAgeMs: number;
  onDeviceChange: ((event: DeviceChangeEvent<User>) => void | Promise<void>) | undefined;
  /** Remembered browsers; undefined when off. */
  rememberBrowser: Required<RememberBrowserOptions> | undefined;
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
  maxAgeSeconds: 43_200,
  deviceChangeMaxAgeSeconds: 300,
  rememberCookieName: 'verify_push_browser',
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

function limitOption(value: unknown, name: string, fallback: RateLimit): RateLimit | undefined {
  if (value === false) return undefined;
  if (value === undefined) return { ...fallback };
  if (typeof value !== 'object' || value === null) {
    throw invalid(`The \`limits.${name}\` option must be an object { max, windowSeconds } or false.`);
  }
  const { max, windowSeconds } = value as Record<string, unknown>;
  return {
    max: wholeNumber(`limits.${name}.max`, max, fallback.max, { min: 1, max: 1_000_000, unit: 'events' }),
    windowSeconds: wholeNumber(`limits.${name}.windowSeconds`, windowSeconds, fallback.windowSeconds, {
      min: 1,
      max: 86_400,
      unit: 'seconds',
    }),
  };
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
    const digits = (value as { digits?: unknown }).digits;
    return wholeNumber('numberMatching.digits', digits, DEFAULTS.matchDigits, { min: 2, max: 6, unit: 'digits' });
  }
  throw invalid('The `numberMatching` option must be true, false or { digits }.');
}

function resolveRememberBrowser(value: unknown, identitySecret: string | undefined): Required<RememberBrowserOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw invalid('The `rememberBrowser` option must be false or { days, secret?, cookieName?, secure? }.');
  }
  const { days, secret, cookieName, secure } = value as Record<string, unknown>;
  if (days === undefined) throw invalid('The `rememberBrowser.days` option is required: how many days a browser is remembered.');
  const key = secret ?? identitySecret;
  if (typeof key !== 'string' || key.length < MIN_IDENTITY_SECRET_LENGTH) {
    throw invalid(
      `The \`rememberBrowser.secret\` option must be a string of at least ${MIN_IDENTITY_SECRET_LENGTH} characters (it defaults to \`identitySecret\`).`,
    );
  }
  const name = cookieName ?? DEFAULTS.rememberCookieName;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw invalid('The `rememberBrowser.cookieName` option must be 1–64 letters, digits, dashes or underscores.');
  }
  if (secure !== undefined && typeof secure !== 'boolean') throw invalid('The `rememberBrowser.secure` option must be a boolean.');
  return {
    days: wholeNumber('rememberBrowser.days', days, 30, { min: 1, max: 90, unit: 'days' }),
    secret: key,
    cookieName: name,
    secure: secure ?? true,
  };
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
    const missing = STORE_METHODS.find((name) => typeof (store as Record<string, unknown> | null)?.[name] !== 'function');
    if (missing !== undefined) throw invalid(`The \`store\` option must be a ChallengeStore (it has no \`${missing}\` method).`);
  }

  const waitUrl = options.waitUrl;
  if (waitUrl !== undefined && (typeof waitUrl !== 'string' || waitUrl === '' || /[\r\n]/.test(waitUrl))) {
    throw invalid('The `waitUrl` option must be a URL or path without line breaks.');
  }

  const expiresInSeconds = wholeNumber('expiresInSeconds', options.expiresInSeconds, DEFAULTS.expiresInSeconds, {
    min: DEFAULTS.minExpiresInSeconds,
    max: DEFAULTS.maxExpiresInSeconds,
    unit: 'seconds',
  });
  const pollIntervalMs = wholeNumber('pollIntervalMs', options.pollIntervalMs, DEFAULTS.pollIntervalMs, {
    min: 1000,
    max: 60_000,
    unit: 'milliseconds',
  });
  const webhookFallbackPollMs = wholeNumber(
    'webhookFallbackPollMs',
    options.webhookFallbackPollMs,
    Math.max(DEFAULTS.webhookFallbackPollMs, pollIntervalMs),
    { min: pollIntervalMs, max: 600_000, unit: 'milliseconds' },
  );
  const expectWebhooks = options.expectWebhooks;
  if (expectWebhooks !== undefined && typeof expectWebhooks !== 'boolean') {
    throw invalid('The `expectWebhooks` option must be a boolean.');
  }
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
    expectWebhooks,
    store: store as ChallengeStore | undefined,
    waitUrl: waitUrl as string | undefined,
    matchDigits: resolveMatchDigits(options.numberMatching),
    limits: resolveLimits(options.limits),
    onDenied: optionalFunction(options, 'onDenied'),
    maxAgeMs:
      wholeNumber('maxAgeSeconds', options.maxAgeSeconds, DEFAULTS.maxAgeSeconds, { min: 60, max: 2_592_000, unit: 'seconds' }) * 1000,
    deviceChangeMaxAgeMs:
      wholeNumber('deviceChangeMaxAgeSeconds', options.deviceChangeMaxAgeSeconds, DEFAULTS.deviceChangeMaxAgeSeconds, {
        min: 30,
        max: 3600,
        unit: 'seconds',
      }) * 1000,
    onDeviceChange: optionalFunction(options, 'onDeviceChange'),
    rememberBrowser: resolveRememberBrowser(options.rememberBrowser, identitySecret as string | undefined),
    requestTimeoutMs: wholeNumber('requestTimeoutMs', options.requestTimeoutMs, DEFAULTS.requestTimeoutMs, {
      min: 100,
      max: 60_000,
      unit: 'milliseconds',
    }),
    retries: wholeNumber('retries', options.retries, DEFAULTS.retries, { min: 0, max: 10, unit: 'retries' }),
    passReqToCallback,
    clock,
  };
}
