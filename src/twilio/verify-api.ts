import pRetry from 'p-retry';
import { VerifyPushError } from '../errors.js';
import { assertIdentity, assertSid } from '../sids.js';
import type { DetailField, PushFactor, TwilioClientLike } from '../types.js';
import { isOutcomeUnknown, isTransient, isTwilioNotFound, twilioRequest, type TwilioCall } from './http.js';
import { toAccessToken, toChallenge, toPage, toPushFactor, type AccessToken, type TwilioChallenge } from './resources.js';

export interface VerifyApiOptions {
  client: TwilioClientLike;
  serviceSid: string;
  /** Timeout of one HTTP request, in ms. Default 5000. */
  requestTimeoutMs?: number;
  /** Extra attempts after a transient failure (429, 5xx, timeout, dropped connection). Default 2. */
  retries?: number;
  /** Shortest back-off between attempts, in ms, before jitter. Default 250. */
  minBackoffMs?: number;
  clock?: () => number;
}

export interface CreateChallengeInput {
  identity: string;
  factorSid: string;
  message: string;
  fields: DetailField[];
  hiddenDetails: Record<string, string>;
  expiresAt: Date;
  /** Our random id inside hiddenDetails.transaction_id: how a lost creation is found again. */
  transactionId: string;
  /** ms since epoch after which no further attempt is made (the login's own deadline). */
  deadline: number;
}

/** What the rest of the package needs from Twilio; tests hand the strategy a fake of it. */
export type VerifyPort = Pick<
  VerifyApi,
  'listPushFactors' | 'createChallenge' | 'fetchChallenge' | 'resendPush' | 'createAccessToken' | 'deleteFactor'
>;

/** How many factor pages we follow at most: Twilio caps push factors at 20 per entity. */
const MAX_FACTOR_PAGES = 5;

/**
 * Every Twilio call the package makes goes through here: one place for retries (p-retry with jittered
 * back-off, honouring Retry-After), per-call timeouts, SID checks before any network call, and the
 * mapping of Twilio's answers to VerifyPushError codes.
 */
export class VerifyApi {
  private readonly client: TwilioClientLike;
  private readonly serviceSid: string;
  private readonly requestTimeoutMs: number;
  private readonly retries: number;
  private readonly minBackoffMs: number;
  private readonly clock: () => number;

  constructor(options: VerifyApiOptions) {
    this.client = options.client;
    this.serviceSid = assertSid('service', options.serviceSid, 'serviceSid');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.retries = options.retries ?? 2;
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.clock = options.clock ?? Date.now;
  }

  /** The entity's push factors (any status), newest first. */
  async listPushFactors(identity: string, deadline?: number): Promise<PushFactor[]> {
    let path: string | null = `${this.entityPath(identity)}/Factors?PageSize=50`;
    const factors: PushFactor[] = [];
    for (let page = 0; path !== null && page < MAX_FACTOR_PAGES; page += 1) {
      const current: string = path;
      let body: unknown;
      try {
        body = await this.read({ method: 'get', path: current }, deadline);
      } catch (error) {
        // A user who never enrolled has no entity at Twilio (60392): that is simply no factors.
        if (isTwilioNotFound(error) && page === 0) return [];
        throw error;
      }
      const { items, nextPageUrl } = toPage(body, 'factors');
      for (const item of items) {
        const factor = toPushFactor(item);
        if (factor) factors.push(factor);
      }
      path = nextPageUrl === null ? null : pathOf(nextPageUrl);
    }
    // Dates have one-second resolution. Guess: Twilio lists factors oldest first, so reversing before the
    // stable sort makes the later-listed factor win a tie.
    return factors.reverse().sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
  }

  /**
   * Create a push challenge without ever sending a second push for one login: creation is not retried
   * blindly. After a failure we first look for a pending challenge carrying our transaction id; only when
   * Twilio provably did not act (an HTTP 429/5xx answer or a refused connection) do we send it again.
   */
  async createChallenge(input: CreateChallengeInput): Promise<TwilioChallenge> {
    assertSid('factor', input.factorSid, 'factor sid');
    const call: TwilioCall = {
      method: 'post',
      path: `${this.entityPath(input.identity)}/Challenges`,
      data: {
        FactorSid: input.factorSid,
        ExpirationDate: iso8601(input.expiresAt),
        'Details.Message': input.message,
        // As twilio-node sends it: one repeated form field per entry, each a JSON string.
        'Details.Fields': input.fields.map((field) => JSON.stringify(field)),
        HiddenDetails: JSON.stringify(input.hiddenDetails),
      },
      timeoutMs: this.requestTimeoutMs,
    };
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt += 1) {
      try {
        return toChallenge(await twilioRequest(this.client, this.bounded(call, input.deadline)));
      } catch (error) {
        lastError = error;
        // The factor (or the whole entity) vanished between the lookup and the creation: no device to push.
        if (isTwilioNotFound(error)) throw new VerifyPushError('NO_PUSH_FACTOR', 'This user has no verified push factor.', { cause: error });
        if (!isTransient(error)) throw error;
      }
      const found = await this.findPendingByTransaction(input);
      if (found) return found;
      if (isOutcomeUnknown(lastError)) break;
      if (!(await this.backoff(lastError, attempt, input.deadline))) break;
    }
    throw lastError;
  }

  async fetchChallenge(identity: string, challengeSid: string, deadline?: number): Promise<TwilioChallenge> {
    assertSid('challenge', challengeSid, 'challenge sid');
    const path = `${this.entityPath(identity)}/Challenges/${challengeSid}`;
    try {
      return toChallenge(await this.read({ method: 'get', path }, deadline));
    } catch (error) {
      throw challengeNotFound(error);
    }
  }

  /**
   * Send the push notification of a pending challenge again. One attempt only: repeating it after an
   * unknown outcome could buzz the phone twice, and Twilio allows only 3 per challenge (60309).
   */
  async resendPush(identity: string, challengeSid: string, deadline?: number): Promise<void> {
    assertSid('challenge', challengeSid, 'challenge sid');
    const call: TwilioCall = {
      method: 'post',
      path: `${this.entityPath(identity)}/Challenges/${challengeSid}/Notifications`,
      data: {},
      timeoutMs: this.requestTimeoutMs,
    };
    try {
      await twilioRequest(this.client, this.bounded(call, deadline));
    } catch (error) {
      // Twilio's 60309 (no more notifications for this challenge) arrives as RATE_LIMITED: a clean 429.
      throw challengeNotFound(error);
    }
  }

  async createAccessToken(
    identity: string,
    options: { factorFriendlyName?: string; ttlSeconds?: number } = {},
  ): Promise<AccessToken> {
    assertIdentity(identity);
    const data: Record<string, string> = { Identity: identity, FactorType: 'push' };
    if (options.factorFriendlyName !== undefined) data.FactorFriendlyName = options.factorFriendlyName;
    if (options.ttlSeconds !== undefined) data.Ttl = String(options.ttlSeconds);
    // Minting a token has no lasting effect on Twilio, so a retry cannot do harm.
    const body = await this.read({ method: 'post', path: `/v2/Services/${this.serviceSid}/AccessTokens`, data });
    return toAccessToken(body);
  }

  async deleteFactor(identity: string, factorSid: string): Promise<void> {
    assertSid('factor', factorSid, 'factor sid');
    // Deleting twice is harmless (the second answers 404, which we map below), so retrying is safe.
    try {
      await this.read({ method: 'delete', path: `${this.entityPath(identity)}/Factors/${factorSid}` });
    } catch (error) {
      if (isTwilioNotFound(error)) {
        throw new VerifyPushError('NO_PUSH_FACTOR', 'That factor does not exist for this user.', { status: 404 });
      }
      throw error;
    }
  }

  private async findPendingByTransaction(input: CreateChallengeInput): Promise<TwilioChallenge | undefined> {
    const params = { FactorSid: input.factorSid, Status: 'pending', Order: 'desc', PageSize: 20 };
    const path = `${this.entityPath(input.identity)}/Challenges`;
    const body = await this.read({ method: 'get', path, params }, input.deadline);
    return toPage(body, 'challenges')
      .items.map(toChallenge)
      .find((challenge) => challenge.hiddenDetails.transaction_id === input.transactionId);
  }

  /** A call that is safe to repeat: retried on transient failures within the deadline. */
  private read(call: Omit<TwilioCall, 'timeoutMs'>, loginDeadline?: number): Promise<unknown> {
    const full: TwilioCall = { ...call, timeoutMs: this.requestTimeoutMs };
    // Calls outside a login (enrolment) get a deadline too, so a long Retry-After cannot hold a request open.
    const deadline = loginDeadline ?? this.clock() + this.requestTimeoutMs * (this.retries + 2);
    return pRetry(() => twilioRequest(this.client, this.bounded(full, deadline)), {
      retries: this.retries,
      minTimeout: this.minBackoffMs,
      maxTimeout: this.minBackoffMs * 8,
      randomize: true,
      shouldRetry: ({ error }) => isTransient(error) && this.fitsDeadline(error, deadline),
      onFailedAttempt: async ({ error, retriesLeft }) => {
        if (retriesLeft > 0 && isTransient(error) && this.fitsDeadline(error, deadline)) {
          await sleep(retryAfterMs(error));
        }
      },
    });
  }

  /** Wait before the next creation attempt; false when there is no time or no point. */
  private async backoff(error: unknown, attempt: number, deadline: number): Promise<boolean> {
    if (!this.fitsDeadline(error, deadline)) return false;
    const jittered = this.minBackoffMs * 2 ** attempt * (1 + Math.random());
    await sleep(Math.max(retryAfterMs(error), jittered));
    return true;
  }

  private fitsDeadline(error: unknown, deadline: number | undefined): boolean {
    if (deadline === undefined) return true;
    return this.clock() + retryAfterMs(error) + this.minBackoffMs < deadline;
  }

  /** Never let one request outlive the login's deadline. */
  private bounded(call: TwilioCall, deadline: number | undefined): TwilioCall {
    if (deadline === undefined) return call;
    const left = deadline - this.clock();
    if (left <= 0) throw new VerifyPushError('TWILIO_TIMEOUT', 'The login deadline passed before Twilio answered.');
    return { ...call, timeoutMs: Math.min(call.timeoutMs, left) };
  }

  private entityPath(identity: string): string {
    return `/v2/Services/${this.serviceSid}/Entities/${encodeURIComponent(assertIdentity(identity))}`;
  }
}

function retryAfterMs(error: unknown): number {
  const seconds = (error as { retryAfter?: unknown } | null)?.retryAfter;
  return typeof seconds === 'number' ? seconds * 1000 : 0;
}

/** A not-found answer about a challenge (20404, 60391, any 404) as our CHALLENGE_NOT_FOUND; others unchanged. */
function challengeNotFound(error: unknown): unknown {
  if (!isTwilioNotFound(error)) return error;
  return new VerifyPushError('CHALLENGE_NOT_FOUND', 'Twilio does not know this challenge.', {
    cause: error,
    twilioCode: (error as VerifyPushError).twilioCode,
  });
}

function pathOf(absoluteUrl: string): string {
  const url = new URL(absoluteUrl);
  return url.pathname + url.search;
}

/** ISO 8601 without milliseconds, as twilio-node serialises dates. */
function iso8601(value: Date): string {
  return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
