/**
 * Stand-ins for unit tests of the strategy: an express-session-like session (regenerate replaces the
 * session object and its id, as express-session does), a response that records what was written, a fake
 * Verify API that records calls, and a strategy wired to them. End-to-end tests use the real things.
 */
import { randomBytes } from 'node:crypto';
import { MemoryChallengeStore } from '../../src/stores/memory.js';
import type { ChallengeStore } from '../../src/stores/types.js';
import type { VerifyPushStrategy } from '../../src/passport/strategy.js';
import { withSeams } from '../../src/passport/wiring.js';
import { newStrategy } from '../helpers/new-strategy.js';
import type { VerifyFunction, VerifyFunctionWithRequest, VerifyPushOptions } from '../../src/types.js';
import type { CreateChallengeInput } from '../../src/twilio/verify-api.js';
import type { TwilioChallenge } from '../../src/twilio/resources.js';
import type { PushFactor } from '../../src/types.js';
import { VerifyPushError } from '../../src/errors.js';

export function sid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

export const SERVICE_SID = sid('VA');
export const ACCOUNT_SID = sid('AC');
export const SECRET = 'unit-test-identity-secret-0123456789abcdef';

export interface TestUser {
  id: string;
  name: string;
}

export class TestClock {
  now = Date.UTC(2030, 0, 1, 12, 0, 0);
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export class FakeResponse {
  statusCode = 200;
  headers: Record<string, string> = {};
  body = '';
  headersSent = false;
  onEnd: (() => void) | undefined;
  setHeader(name: string, value: string | number): void {
    this.headers[name.toLowerCase()] = String(value);
  }
  getHeader(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }
  end(body?: string): void {
    this.body = body ?? '';
    this.headersSent = true;
    this.onEnd?.();
  }
}

export interface FakeSession {
  cookie: { maxAge: number };
  regenerate?: (callback: (err?: unknown) => void) => void;
  save?: (callback: (err?: unknown) => void) => void;
  [key: string]: unknown;
}

export interface FakeRequest {
  session?: FakeSession;
  sessionID?: string;
  user?: unknown;
  ip?: string;
  headers: Record<string, string>;
  res: FakeResponse;
  /** ids destroyed by regenerate, like express-session's store.destroy */
  destroyed: string[];
  /** Express's matched route; unset means the middleware was mounted with app.use (gate by default). */
  route?: { path: string };
  logIn?: (user: unknown, options: unknown, done: (err?: unknown) => void) => void;
  login?: (user: unknown, options: unknown, done: (err?: unknown) => void) => void;
}

function newSession(req: FakeRequest): FakeSession {
  const session: FakeSession = { cookie: { maxAge: 1000 } };
  Object.defineProperty(session, 'regenerate', {
    enumerable: false,
    value(callback: (err?: unknown) => void) {
      if (req.sessionID) req.destroyed.push(req.sessionID);
      req.sessionID = randomBytes(8).toString('hex');
      req.session = newSession(req);
      callback();
    },
  });
  Object.defineProperty(session, 'save', { enumerable: false, value: (callback: (err?: unknown) => void) => callback() });
  return session;
}

/** A request from a user who passed the first factor, with a regenerable session. */
export function fakeRequest(
  options: { user?: unknown; json?: boolean; headers?: Record<string, string>; ip?: string; mountedWithUse?: boolean } = {},
): FakeRequest {
  const req: FakeRequest = {
    // As inside `app.post('/login/push', ...)`, unless the test mounts the middleware with app.use.
    ...(options.mountedWithUse ? {} : { route: { path: '/login/push' } }),
    sessionID: randomBytes(8).toString('hex'),
    user: options.user,
    ip: options.ip ?? '203.0.113.7',
    headers: {
      'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
      ...(options.json === false ? { accept: 'text/html' } : { accept: 'application/json' }),
      ...options.headers,
    },
    res: new FakeResponse(),
    destroyed: [],
  };
  req.session = newSession(req);
  // Passport's req.logIn, reduced to what matters here: regenerate, then store the user.
  const logIn = function (this: FakeRequest, user: unknown, _options: unknown, done: (err?: unknown) => void): void {
    req.session?.regenerate?.(() => {
      req.user = user;
      (req.session as FakeSession).passport = { user: (user as TestUser).id };
      done();
    });
  };
  Object.setPrototypeOf(req, { logIn, login: logIn });
  return req;
}

/** The same browser making its next request: same session object and id, a fresh response. */
export function nextRequest(req: FakeRequest): FakeRequest {
  req.res = new FakeResponse();
  return req;
}

export class FakeApi {
  factors: PushFactor[] = [];
  created: CreateChallengeInput[] = [];
  challenges = new Map<string, TwilioChallenge>();
  listCalls = 0;
  fetchCalls = 0;
  failFetch: unknown;
  failCreate: unknown;

  constructor(
    private readonly identityHint: { serviceSid: string; accountSid: string },
    private readonly clock: () => number,
  ) {}

  async listPushFactors(): Promise<PushFactor[]> {
    this.listCalls += 1;
    return this.factors;
  }

  async createChallenge(input: CreateChallengeInput): Promise<TwilioChallenge> {
    if (this.failCreate) throw this.failCreate;
    this.created.push(input);
    const challenge: TwilioChallenge = {
      sid: sid('YC'),
      accountSid: this.identityHint.accountSid,
      serviceSid: this.identityHint.serviceSid,
      identity: input.identity,
      factorSid: input.factorSid,
      status: 'pending',
      expirationDate: new Date(Math.floor(input.expiresAt.getTime() / 1000) * 1000),
      dateResponded: null,
      hiddenDetails: { ...input.hiddenDetails },
      details: { message: input.message, fields: input.fields },
    };
    this.challenges.set(challenge.sid, challenge);
    return challenge;
  }

  async fetchChallenge(_identity: string, challengeSid: string): Promise<TwilioChallenge> {
    this.fetchCalls += 1;
    if (this.failFetch) throw this.failFetch;
    const challenge = this.challenges.get(challengeSid);
    if (!challenge) throw new VerifyPushError('CHALLENGE_NOT_FOUND', 'unknown');
    return { ...challenge };
  }

  /** What the phone does, as Twilio would then report it. */
  answer(challengeSid: string, status: 'approved' | 'denied' | 'expired'): void {
    const challenge = this.challenges.get(challengeSid);
    if (!challenge) throw new Error('no such challenge');
    challenge.status = status;
    challenge.dateResponded = new Date(this.clock());
  }

  // Resend and enrolment have their own end-to-end tests against the emulator; unit tests never reach these.
  async resendPush(): Promise<void> {
    throw new Error('resendPush is not faked');
  }

  async createAccessToken(): Promise<never> {
    throw new Error('createAccessToken is not faked');
  }

  async deleteFactor(): Promise<void> {
    throw new Error('deleteFactor is not faked');
  }

  lastChallengeSid(): string {
    const last = [...this.challenges.keys()].at(-1);
    if (!last) throw new Error('no challenge created');
    return last;
  }
}

export interface Harness {
  strategy: VerifyPushStrategy<TestUser>;
  api: FakeApi;
  store: MemoryChallengeStore;
  clock: TestClock;
  user: TestUser;
}

export function verifiedFactor(created = Date.UTC(2029, 0, 1)): PushFactor {
  return { sid: sid('YF'), friendlyName: 'Phone', status: 'verified', dateCreated: new Date(created) };
}

/** A strategy whose Twilio side is a FakeApi, with one user owning one verified factor. */
export function makeStrategy(
  options: Partial<VerifyPushOptions<TestUser>> & { store?: ChallengeStore } = {},
  verify?: VerifyFunction<TestUser> | VerifyFunctionWithRequest<TestUser>,
): Harness {
  const clock = new TestClock();
  const store = new MemoryChallengeStore({ clock: clock.read, sweepIntervalMs: 0 });
  const client = {
    accountSid: ACCOUNT_SID,
    request: async (): Promise<never> => {
      throw new Error('unit tests make no network calls');
    },
  };
  const api = new FakeApi({ serviceSid: SERVICE_SID, accountSid: ACCOUNT_SID }, clock.read);
  api.factors = [verifiedFactor()];
  // The seam: the strategy is built with the fake Verify API instead of one that calls Twilio.
  const strategy = newStrategy<TestUser>(
    withSeams(
      {
        client,
        authToken: 'unit-test-auth-token',
        serviceSid: SERVICE_SID,
        identitySecret: SECRET,
        clock: clock.read,
        store,
        ...options,
      },
      { api },
    ),
    verify,
  );
  return { strategy, api, store, clock, user: { id: 'user-1', name: 'Ada' } };
}
