import { Strategy as PassportStrategy } from 'passport-strategy';
import { clientIp, reconcileUnanswered, startChallenge } from '../flow/challenge.js';
import { isVerifyPushError, VerifyPushError, type VerifyPushErrorCode } from '../errors.js';
import { createEnrolmentHandlers, type EnrolmentHandlers } from '../http/enrolment.js';
import { createEventsHandler, type EventsOptions } from '../http/events.js';
import { guardStore } from '../stores/guard.js';
import { resolveIdentity } from '../flow/identity.js';
import {
  resolveOptions,
  type ApprovedChallenge,
  type ResolvedOptions,
  type VerifyFunction,
  type VerifyFunctionWithRequest,
  type VerifyPushOptions,
  type VerifyPushRequest,
} from '../options.js';
import { pendingBody, respondPending, wantsJson, type PendingBody } from './pending-response.js';
import { nextFetchAt, refreshRecord, type PollDeps } from '../flow/poll.js';
import { addressTag, denialAllowanceUsed, limitMessage, spendStart, startRefused, type LimitHit } from '../flow/limits.js';
import { withStartLock } from '../flow/start-lock.js';
import {
  clearPending,
  hasVerifiedMark,
  markVerifiedOnLogIn,
  readPending,
  regenerateKeepingData,
  saveSession,
  sessionOf,
  writePending,
  type PendingMark,
} from '../session/marks.js';
import { recordTtlMs, settle, type Settle, type SettleDeps } from '../flow/settle.js';
import { MemoryChallengeStore } from '../stores/memory.js';
import type { ChallengeRecord, ChallengeStatus, ChallengeStore } from '../stores/types.js';
import { VerifyApi } from '../twilio/verify-api.js';
import { createResendHandler } from '../http/resend.js';
import { createWebhookHandler, type WebhookOptions } from '../http/webhook.js';
import type { DetailField, TwilioChallenge } from '../twilio/verify-api.js';

/** Options accepted by `passport.authenticate('verify-push', options)` besides Passport's own. */
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
  [passportOption: string]: unknown;
}

/**
 * Lets TypeScript apps write `passport.authenticate('verify-push', { gate: true })`: @types/passport's
 * AuthenticateOptions is closed, so the strategy's own options are merged into it.
 */
declare module 'passport' {
  interface AuthenticateOptions {
    /** verify-push: gate mode (see VerifyPushAuthenticateOptions.gate). */
    gate?: boolean;
    /** verify-push: how a pending challenge is reported (see VerifyPushAuthenticateOptions.pending). */
    pending?: 'respond' | 'callback';
  }
}

/** What a failed attempt hands Passport as `info`: a stable code and a sentence for `failureMessage`. */
export interface VerifyPushFailure {
  code: VerifyPushErrorCode;
  message: string;
  /** Seconds, with RATE_LIMITED. */
  retryAfter?: number;
}

/** The session's own challenge as a waiting page or events endpoint may see it. Never the challenge sid. */
export interface VerifyPushStatus {
  state: 'none' | ChallengeStatus;
  /** ms since epoch */
  expiresAt?: number;
  pollAfterMs?: number;
  transactionId?: string;
  matchCode?: string;
  message?: string;
  fields?: DetailField[];
}

type Outcome<User> =
  | { kind: 'pass' }
  | { kind: 'success'; user: User; info: object }
  | { kind: 'fail'; info: VerifyPushFailure | PendingBody; status: number }
  | { kind: 'pending'; body: PendingBody }
  | { kind: 'error'; error: unknown };

/** How long after its expiry an approved challenge may still complete the login (a slow last poll), in ms. */
const COMPLETION_GRACE_MS = 60_000;

/** Failures that are an answer to the user (Passport `fail`), not a fault (Passport `error`). */
const USER_FACING_CODES: ReadonlySet<string> = new Set(['NO_PUSH_FACTOR', 'RATE_LIMITED']);

function failure<User>(code: VerifyPushErrorCode, message: string, extra: { retryAfter?: number; status?: number } = {}): Outcome<User> {
  const status = extra.status ?? new VerifyPushError(code, message).status;
  const info: VerifyPushFailure = { code, message };
  if (extra.retryAfter !== undefined) info.retryAfter = extra.retryAfter;
  return { kind: 'fail', info, status };
}

/**
 * Gate or route? Express sets `req.route` only once it has matched a route, so a middleware mounted with
 * `app.use` / `router.use` sees none: there the one-line drop-in must let anonymous visitors reach the app's
 * own login page instead of answering 401 to everything. Inside a route it is the login step itself.
 */
function isGate(req: VerifyPushRequest, options: VerifyPushAuthenticateOptions): boolean {
  if (typeof options.gate === 'boolean') return options.gate;
  return req.route === undefined || req.route === null;
}

function limitFailure<User>(hit: LimitHit): Outcome<User> {
  return failure('RATE_LIMITED', limitMessage(hit), { retryAfter: hit.retryAfter });
}

/** Does the store's record describe exactly the challenge this session is waiting for? */
function bindingMatches(record: ChallengeRecord, pending: PendingMark): boolean {
  return (
    record.challengeSid === pending.challengeSid &&
    record.serviceSid === pending.serviceSid &&
    record.identity === pending.identity &&
    record.factorSid === pending.factorSid &&
    record.transactionId === pending.transactionId
  );
}

/** Passport's actions, attached to each per-request object by passport.authenticate(). */
interface PassportActions {
  success(user: unknown, info?: object): void;
  fail(challenge?: unknown, status?: number): void;
  redirect(url: string, status?: number): void;
  pass(): void;
  error(err: unknown): void;
}

/**
 * passport-strategy's base class, as every Passport strategy extends it. Typed here rather than through
 * @types/passport-strategy so the published declarations ask nothing extra of TypeScript users.
 */
const StrategyBase = PassportStrategy as unknown as abstract new () => PassportActions;

/**
 * Twilio Verify Push as a Passport strategy (name `'verify-push'`). The same middleware starts a challenge
 * for a user who passed the first factor, reports it pending while the phone decides, and logs the user in
 * once the approval is confirmed: by the webhook (`strategy.webhook()`) or by polling Twilio.
 *
 * Passport makes one object per request with `Object.create(strategy)`, so all state lives in readonly
 * fields set here and methods live on the prototype.
 */
export class VerifyPushStrategy<User = unknown> extends StrategyBase {
  readonly name = 'verify-push';
  private readonly options: ResolvedOptions<User>;
  private readonly verify: VerifyFunction<User> | VerifyFunctionWithRequest<User> | undefined;
  private readonly api: VerifyApi;
  private readonly store: ChallengeStore;
  /** Mutable facts about the configured instance, shared by every per-request object. */
  private readonly runtime: { webhookMounted: boolean };
  /** Twilio fetches in progress in this process, one per challenge (see poll.ts). */
  private readonly inflight: Map<string, Promise<ChallengeRecord>>;
  /** Challenge starts in progress in this process, by identity and session id (see start()). */
  private readonly starting: Map<string, Promise<PendingMark | undefined>>;

  constructor(options: VerifyPushOptions<User>, verify?: VerifyFunction<User> | VerifyFunctionWithRequest<User>) {
    super();
    if (verify !== undefined && typeof verify !== 'function') {
      throw new VerifyPushError('INVALID_OPTION', 'The verify callback, when given, must be a function.');
    }
    this.options = resolveOptions(options);
    this.verify = verify;
    this.api = new VerifyApi({
      client: this.options.client,
      serviceSid: this.options.serviceSid,
      requestTimeoutMs: this.options.requestTimeoutMs,
      retries: this.options.retries,
      clock: this.options.clock,
    });
    this.store = guardStore(this.options.store ?? new MemoryChallengeStore({ clock: this.options.clock }));
    this.runtime = { webhookMounted: false };
    this.inflight = new Map();
    this.starting = new Map();
  }

  /** Passport's entry point: hands off to one async method that performs exactly one action. */
  authenticate(req: VerifyPushRequest, options?: VerifyPushAuthenticateOptions): void {
    void this.run(req, options ?? {});
  }

  private async run(req: VerifyPushRequest, options: VerifyPushAuthenticateOptions): Promise<void> {
    let outcome: Outcome<User>;
    try {
      outcome = await this.decide(req, options);
    } catch (error) {
      outcome =
        isVerifyPushError(error) && USER_FACING_CODES.has(error.code)
          ? failure(error.code, error.message, { status: error.status, ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }) })
          : { kind: 'error', error };
    }
    this.act(req, options, outcome);
  }

  /**
   * The one place Passport's actions are called. Keeping them out of the decision's try/catch means an
   * exception thrown further down the middleware chain can never be caught here and trigger a second action.
   */
  private act(req: VerifyPushRequest, options: VerifyPushAuthenticateOptions, outcome: Outcome<User>): void {
    switch (outcome.kind) {
      case 'pass':
        this.pass();
        return;
      case 'success':
        this.success(outcome.user, outcome.info);
        return;
      case 'fail': {
        const retryAfter = (outcome.info as VerifyPushFailure).retryAfter;
        if (retryAfter !== undefined && req.res && !req.res.headersSent) req.res.setHeader('Retry-After', String(retryAfter));
        this.fail(outcome.info, outcome.status);
        return;
      }
      case 'pending':
        if (options.pending === 'callback' || !req.res || req.res.headersSent) {
          this.fail(outcome.body, 202);
          return;
        }
        respondPending(req.res, outcome.body, wantsJson(req), this.options.waitUrl);
        return;
      case 'error':
        this.error(outcome.error);
        return;
    }
  }

  private async decide(req: VerifyPushRequest, options: VerifyPushAuthenticateOptions): Promise<Outcome<User>> {
    sessionOf(req);
    const gate = isGate(req, options);
    const user = this.options.getUser(req);
    if (!user) {
      if (gate) return { kind: 'pass' };
      return failure('FIRST_FACTOR_REQUIRED', 'Sign in with your password first.');
    }
    const identity = await this.identityOf(user, req);
    if (hasVerifiedMark(req, identity)) {
      if (gate) return { kind: 'pass' };
      // The login route hit again after finishing: log the same user in again (Passport regenerates the
      // session, the mark is rewritten) so successRedirect and custom callbacks behave as after a push.
      // No challenge, no Twilio call, no verify callback: this session already proved the second factor.
      clearPending(req);
      markVerifiedOnLogIn(req, user, identity, this.options.clock);
      return { kind: 'success', user, info: { message: 'Already verified.' } };
    }
    // The drop-in gate also sits in front of the waiting page it redirects to: let that page render, or a
    // browser would be sent round in a loop of redirects to itself.
    if (gate && this.isWaitingPage(req)) return { kind: 'pass' };
    let pending = readPending(req);
    if (pending && (pending.identity !== identity || pending.serviceSid !== this.options.serviceSid)) {
      // Another user signed in in this browser: their login needs their own push, never this one.
      clearPending(req);
      pending = undefined;
    }
    if (!pending) return this.start(req, user, identity);
    return this.check(req, user, identity, pending);
  }

  private isWaitingPage(req: VerifyPushRequest): boolean {
    const waitUrl = this.options.waitUrl;
    if (waitUrl === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const base = 'http://local.invalid';
    const requested = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
    try {
      return new URL(requested, base).pathname === new URL(waitUrl, base).pathname;
    } catch {
      return false;
    }
  }

  /**
   * Parallel requests of one session (a page loading several gated resources at once) share one start, so
   * the phone is pushed once, not once per request. Only the first request writes the session; the others
   * answer pending and leave their (identical, soon replaced) session alone. Sharing is per session id, so
   * another browser of the same user never learns this session's transaction id or match code.
   */
  private async start(req: VerifyPushRequest, user: User, identity: string): Promise<Outcome<User>> {
    const key = `${identity} ${req.sessionID ?? ''}`;
    const shared = this.starting.get(key);
    if (shared) {
      const pending = await shared;
      if (pending) return { kind: 'pending', body: pendingBody(pending, this.options.pollIntervalMs) };
    }
    let settled: (pending: PendingMark | undefined) => void = () => undefined;
    this.starting.set(key, new Promise((resolve) => (settled = resolve)));
    let started: PendingMark | undefined;
    try {
      const result = await this.startOnce(req, user, identity);
      if ('kind' in result) return result;
      started = result;
      return { kind: 'pending', body: pendingBody(started, this.options.pollIntervalMs) };
    } finally {
      settled(started);
      this.starting.delete(key);
    }
  }

  /**
   * The limits, then the challenge: the pending mark written to the session, or the refusal. Start limits are
   * read before anything else (no Twilio call, no allowance spent for a refused attempt); then the user's
   * unanswered challenges are asked about, so a denial nobody polled is counted before the denial limit is
   * checked; only then is a start spent and the push sent.
   */
  private async startOnce(req: VerifyPushRequest, user: User, identity: string): Promise<PendingMark | Outcome<User>> {
    const { limits, clock, requestTimeoutMs, retries } = this.options;
    const ip = clientIp(req);
    const refused = await startRefused(this.store, limits, identity, ip, clock());
    if (refused) return limitFailure(refused);
    const startDeps = {
      api: this.api,
      store: this.store,
      options: this.options,
      settle: (record: ChallengeRecord, challenge: TwilioChallenge) => settle(this.settleDeps({ user, req }), record, challenge),
    };
    // The user's starts run one at a time (every instance): each sees the pushes and denials the last one left.
    const startBudgetMs = requestTimeoutMs * (retries + 4);
    const started = await withStartLock(this.store, identity, { holdMs: startBudgetMs, waitMs: startBudgetMs }, async () => {
      const reconciled = await reconcileUnanswered(startDeps, identity, clock() + requestTimeoutMs * 2);
      const here = addressTag(ip, this.options.identitySecret ?? this.options.serviceSid);
      const fromHere = reconciled.unanswered.filter((push) => push.startedFrom === here);
      const locked =
        (await denialAllowanceUsed(this.store, limits, identity, fromHere, clock())) ??
        (await spendStart(this.store, limits, identity, ip, clock()));
      if (locked) return limitFailure<User>(locked);
      return (await startChallenge(startDeps, req, user, identity, reconciled)).pending;
    });
    if ('kind' in started) return started;
    // A privilege change: the session id during pending differs from the one before (fixation defence).
    await regenerateKeepingData(req);
    writePending(req, started);
    await saveSession(req);
    return started;
  }

  private async check(req: VerifyPushRequest, user: User, identity: string, pending: PendingMark): Promise<Outcome<User>> {
    const stored = await this.store.get(pending.challengeSid);
    if (!stored || !bindingMatches(stored, pending)) {
      clearPending(req);
      return failure('CHALLENGE_MISMATCH', 'This sign-in request is no longer valid. Start again.');
    }
    const record = await refreshRecord(this.pollDeps({ user, req }), stored);
    switch (record.status) {
      case 'pending':
        return { kind: 'pending', body: pendingBody(pending, this.options.pollIntervalMs) };
      case 'approved':
        // An approval must be used promptly: a session that comes back long after the challenge expired
        // starts again rather than logging in on an old approval.
        if (this.options.clock() > record.expiresAt + COMPLETION_GRACE_MS) {
          clearPending(req);
          return failure('CHALLENGE_EXPIRED', 'The sign-in request expired. Start again.');
        }
        return this.complete(req, user, identity, record);
      case 'denied':
        clearPending(req);
        return failure('CHALLENGE_DENIED', 'The sign-in request was denied on your phone.');
      case 'expired':
        clearPending(req);
        return failure('CHALLENGE_EXPIRED', 'The sign-in request expired. Start again.');
      case 'superseded':
        clearPending(req);
        return failure('CHALLENGE_SUPERSEDED', 'A newer sign-in request replaced this one.');
      case 'completed':
        // Another request already used this approval (and regenerated the session): leave this one alone.
        return failure('CHALLENGE_ALREADY_USED', 'This sign-in request was already used.');
    }
  }

  private async complete(req: VerifyPushRequest, user: User, identity: string, record: ChallengeRecord): Promise<Outcome<User>> {
    const completedAt = this.options.clock();
    const won = await this.store.compareAndSet(
      record.challengeSid,
      'approved',
      { ...record, status: 'completed' },
      recordTtlMs(record, completedAt),
    );
    // Exactly one request logs in per approval, however many poll at once. The losers do not touch their
    // session: the winner has regenerated it, and writing to the old one would resurrect its id.
    if (!won) return failure('CHALLENGE_ALREADY_USED', 'This sign-in request was already used.');
    // The approval is used up whatever happens next (the verify callback may refuse or throw): drop it from
    // the session now so the user can start again instead of meeting "already used" on every request.
    clearPending(req);
    const verified = await this.runVerify(req, user, record);
    if (!verified.user) {
      const info = verified.info as Partial<VerifyPushFailure> | undefined;
      return {
        kind: 'fail',
        info: { ...info, code: info?.code ?? 'NOT_AUTHENTICATED', message: info?.message ?? 'The sign-in was refused.' },
        status: 401,
      };
    }
    // Pending is gone before success, so even `keepSessionInfo: true` cannot carry it into the new session;
    // the verified mark is written once Passport's logIn has regenerated the session (see session.ts).
    markVerifiedOnLogIn(req, verified.user, identity, this.options.clock);
    return { kind: 'success', user: verified.user, info: verified.info ?? {} };
  }

  /** The app's verify callback, if any, turned into a promise; the first `done` call wins. */
  private runVerify(req: VerifyPushRequest, user: User, record: ChallengeRecord): Promise<{ user: User | false | null | undefined; info: object | undefined }> {
    const verify = this.verify;
    if (!verify) return Promise.resolve({ user, info: undefined });
    const challenge: ApprovedChallenge = {
      challengeSid: record.challengeSid,
      identity: record.identity,
      factorSid: record.factorSid,
      transactionId: record.transactionId,
      createdAt: new Date(record.createdAt),
      approvedAt: new Date(record.settledAt ?? this.options.clock()),
    };
    return new Promise((resolve, reject) => {
      let called = false;
      const done = (err: unknown, verifiedUser?: User | false | null, info?: object): void => {
        if (called) return;
        called = true;
        if (err) reject(err);
        else resolve({ user: verifiedUser, info });
      };
      if (this.options.passReqToCallback) (verify as VerifyFunctionWithRequest<User>)(req, user, challenge, done);
      else (verify as VerifyFunction<User>)(user, challenge, done);
    });
  }

  /**
   * What recording an outcome needs. `asker` is the user and request that are checking, when there is one
   * (a poll); the webhook has none. Whoever records a denial tells `onDenied`, so it fires exactly once.
   */
  private settleDeps(asker?: { user: User; req: VerifyPushRequest }): SettleDeps {
    const denials = this.options.limits.denials;
    const onDenied = this.options.onDenied;
    return {
      store: this.store,
      clock: this.options.clock,
      denialWindowMs: denials === undefined ? undefined : denials.windowSeconds * 1000,
      ...(onDenied === undefined
        ? {}
        : {
            onDenial: async (identity: string, count: number) => {
              await onDenied({ identity, count, limit: denials?.max ?? 0, ...asker });
            },
          }),
    };
  }

  private pollDeps(asker?: { user: User; req: VerifyPushRequest }): PollDeps {
    return {
      ...this.settleDeps(asker),
      api: this.api,
      fetchIntervalMs: () => (this.runtime.webhookMounted ? this.options.webhookFallbackPollMs : this.options.pollIntervalMs),
      requestTimeoutMs: this.options.requestTimeoutMs,
      inflight: this.inflight,
    };
  }

  /**
   * The Verify identity of a user (the `identity` option, or the HMAC default), checked against Twilio's
   * rules. `req` is optional: tests and scripts ask for a user's identity outside any request (to enrol the
   * emulator's phone for that user, say).
   */
  identityOf(user: User, req?: VerifyPushRequest): Promise<string> {
    return resolveIdentity(this.options, user, req);
  }

  /**
   * The session's own challenge, for a waiting page or the events endpoint: brought up to date the same way
   * a login poll would (local expiry, one Twilio fetch per interval, shared with the login route's lease so
   * tabs and instances still share one fetch), but it never logs anyone in and never writes to the session.
   * With a webhook mounted the interval is `webhookFallbackPollMs`: the webhook normally brings the news, and
   * a lost one still reaches the page within that interval. A challenge belonging to another user than the
   * current one reads as 'none'.
   */
  async status(req: VerifyPushRequest): Promise<VerifyPushStatus> {
    const { recheckAt: _internal, ...status } = await this.watchedStatus(req);
    return status;
  }

  /** status(), plus when reading again may bring news from Twilio (for the events endpoint's timer). */
  private async watchedStatus(req: VerifyPushRequest): Promise<VerifyPushStatus & { recheckAt?: number }> {
    const own = await this.ownChallenge(req);
    if (!own) return { state: 'none' };
    const { identity, pending, record: stored } = own;
    if (!pending || !stored) return { state: hasVerifiedMark(req, identity) ? 'completed' : 'none' };
    const deps = this.pollDeps();
    const record = await refreshRecord(deps, stored);
    return {
      state: record.status,
      expiresAt: pending.expiresAt,
      pollAfterMs: this.options.pollIntervalMs,
      transactionId: pending.transactionId,
      ...(pending.matchCode === undefined ? {} : { matchCode: pending.matchCode }),
      message: pending.message,
      fields: pending.fields,
      ...(record.status === 'pending' ? { recheckAt: nextFetchAt(record, this.options.clock(), deps.fetchIntervalMs()) } : {}),
    };
  }

  /**
   * The current user's identity and, when the session waits for one, its challenge as the store holds it.
   * The challenge always comes from the session, never from the request, and must still belong to this user.
   */
  private async ownChallenge(
    req: VerifyPushRequest,
  ): Promise<{ identity: string; pending?: PendingMark; record?: ChallengeRecord } | undefined> {
    sessionOf(req);
    const user = this.options.getUser(req);
    if (!user) return undefined;
    const identity = await this.identityOf(user, req);
    const pending = readPending(req);
    if (!pending || pending.identity !== identity) return { identity };
    const record = await this.store.get(pending.challengeSid);
    if (!record || !bindingMatches(record, pending)) return { identity };
    return { identity, pending, record };
  }

  /**
   * POST middleware that sends the session's pending push to the phone again, at most twice per challenge
   * (Twilio's limit), counted in the store so tabs and instances share the allowance. Answers
   * `{ sent: true, remaining }`, or `{ error: code }`: 401 without a signed-in user, 409 when nothing is
   * pending, 429 when the allowance is used up.
   */
  resend(): ReturnType<typeof createResendHandler<VerifyPushRequest>> {
    return createResendHandler<VerifyPushRequest>({
      api: this.api,
      store: this.store,
      clock: this.options.clock,
      locate: async (req) => {
        const own = await this.ownChallenge(req);
        if (!own) throw new VerifyPushError('NOT_AUTHENTICATED', 'Sign in with your password first.');
        return own.record ? { identity: own.identity, record: own.record } : undefined;
      },
    });
  }

  /**
   * Middleware for Twilio's challenge webhooks, at the public `url` configured on the Verify service.
   * Once created, Twilio is polled only as a fallback (`webhookFallbackPollMs`), so a login costs two
   * Twilio calls (create + the webhook's confirming fetch).
   */
  webhook(options: WebhookOptions): ReturnType<typeof createWebhookHandler> {
    const authToken = this.options.authToken;
    if (authToken === undefined) {
      throw new VerifyPushError(
        'INVALID_OPTION',
        'The `authToken` option is required for the webhook: Twilio signs webhooks with the auth token.',
      );
    }
    const bound: Settle = (record, challenge) => settle(this.settleDeps(), record, challenge);
    const handler = createWebhookHandler(
      {
        api: this.api,
        store: this.store,
        accountSid: this.options.accountSid,
        serviceSid: this.options.serviceSid,
        authToken,
        clock: this.options.clock,
        settle: bound,
      },
      options,
    );
    this.runtime.webhookMounted = true;
    return handler;
  }

  /** Enrolment middlewares (access token, list and delete factors), always for the signed-in user only. */
  enrolment(): EnrolmentHandlers<User> {
    return createEnrolmentHandlers<User>({
      api: this.api,
      serviceSid: this.options.serviceSid,
      identityOf: (user: User, req: VerifyPushRequest) => this.identityOf(user, req),
      getUser: (req: VerifyPushRequest) => this.options.getUser(req),
      secondFactorDone: (req: VerifyPushRequest, identity: string) => hasVerifiedMark(req, identity),
    });
  }

  /** Live waiting endpoint (server-sent events or long-poll) for the session's own challenge. */
  events(options?: EventsOptions): ReturnType<typeof createEventsHandler<VerifyPushRequest>> {
    return createEventsHandler<VerifyPushRequest>(
      {
        status: (req) => this.watchedStatus(req),
        store: this.store,
        pendingChallengeSid: (req) => readPending(req)?.challengeSid,
        hasWebhook: () => this.runtime.webhookMounted,
        pollIntervalMs: this.options.pollIntervalMs,
        now: this.options.clock,
      },
      options,
    );
  }
}
