import { randomBytes, randomInt } from 'node:crypto';
import { buildHiddenDetails, checkDetails, defaultFields, defaultMessage } from './details.js';
import { VerifyPushError } from './errors.js';
import type { ChallengeContext, ResolvedOptions, VerifyPushRequest } from './options.js';
import type { PendingMark } from './session.js';
import { recordTtlMs } from './settle.js';
import { isSid } from './sids.js';
import type { ChallengeRecord, ChallengeStore } from './stores/types.js';
import type { PushFactor, TwilioChallenge, VerifyApi } from './verify-api.js';

export interface StartDeps<User> {
  api: Pick<VerifyApi, 'listPushFactors' | 'createChallenge' | 'fetchChallenge'>;
  store: ChallengeStore;
  options: ResolvedOptions<User>;
  /** Records what Twilio says about a challenge (settle.ts, bound to the strategy's dependencies). */
  settle(record: ChallengeRecord, challenge: TwilioChallenge): Promise<ChallengeRecord>;
}

export interface Started {
  record: ChallengeRecord;
  pending: PendingMark;
}

/** The client address as the app's Express sees it (its `trust proxy` setting decides), else the socket's. */
export function clientIp(req: VerifyPushRequest): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

export function challengeContext<User>(req: VerifyPushRequest, user: User, now: number): ChallengeContext<User> {
  const agent = req.headers?.['user-agent'];
  return { req, user, ip: clientIp(req), userAgent: typeof agent === 'string' ? agent : '', time: new Date(now) };
}

/**
 * 128 random bits, base64url (22 characters). It goes into hidden_details, the store and the session, and
 * the pending answer hands it to the client so an app on the registered device can approve only this one.
 */
export function newTransactionId(): string {
  return randomBytes(16).toString('base64url');
}

/** A uniformly random code of `digits` digits (leading zeros kept) for number matching. */
export function newMatchCode(digits: number): string {
  return String(randomInt(0, 10 ** digits)).padStart(digits, '0');
}

/** The newest verified push factor (the list comes newest first). */
export function defaultFactor(factors: PushFactor[]): string | undefined {
  return factors.find((factor) => factor.status === 'verified')?.sid;
}

async function chooseFactor<User>(deps: StartDeps<User>, identity: string, user: User, req: VerifyPushRequest, deadline: number): Promise<string> {
  const factors = await deps.api.listPushFactors(identity, deadline);
  const chosen = deps.options.factor ? await deps.options.factor(factors, user, req) : defaultFactor(factors);
  if (chosen === undefined) {
    throw new VerifyPushError('NO_PUSH_FACTOR', 'This user has no verified push factor.');
  }
  // Only one of this user's own verified factors: the choice must not reach another entity's device.
  const factor = factors.find((candidate) => candidate.sid === chosen);
  if (!factor || factor.status !== 'verified' || !isSid('factor', chosen)) {
    throw new VerifyPushError('NO_PUSH_FACTOR', 'The `factor` option did not return one of the user\'s verified push factors.');
  }
  return chosen;
}

/**
 * One pending challenge per user (A1): the previous one, if still pending, is marked superseded in the store,
 * so approving it later (Twilio cannot cancel it) logs nobody in. First it is fetched once: without a webhook
 * nobody may have asked Twilio about it, and a denial the phone already sent must still be counted (and
 * reported) even when whoever started it never polled again. A failed fetch does not stop the new start.
 */
async function supersedePrevious<User>(deps: StartDeps<User>, identity: string, deadline: number): Promise<void> {
  const { store } = deps;
  const previousSid = await store.getActive(identity);
  if (previousSid === undefined) return;
  let previous = await store.get(previousSid);
  if (previous?.status !== 'pending') return;
  if (deps.options.clock() <= previous.expiresAt) {
    const challenge = await deps.api.fetchChallenge(identity, previousSid, deadline).catch(() => undefined);
    if (challenge) previous = await deps.settle(previous, challenge);
    if (previous.status !== 'pending') return;
  }
  const now = deps.options.clock();
  await store.compareAndSet(previousSid, 'pending', { ...previous, status: 'superseded', settledAt: now }, recordTtlMs(previous, now));
}

/**
 * Starts a push challenge for a user who passed the first factor: details and hidden details are built and
 * checked against Twilio's limits first (no call is wasted on a configuration error), then the factor is
 * chosen, the previous challenge superseded, the challenge created and recorded in the store.
 */
export async function startChallenge<User>(
  deps: StartDeps<User>,
  req: VerifyPushRequest,
  user: User,
  identity: string,
): Promise<Started> {
  const { options, store } = deps;
  const now = options.clock();
  const ctx = challengeContext(req, user, now);
  const message = typeof options.message === 'function' ? options.message(ctx) : (options.message ?? defaultMessage(options.appName));
  const details = checkDetails(message, options.fields ? options.fields(ctx) : defaultFields(ctx));
  const transactionId = newTransactionId();
  const matchCode = options.matchDigits > 0 ? newMatchCode(options.matchDigits) : undefined;
  const hiddenDetails = buildHiddenDetails(options.hiddenDetails?.(ctx), {
    transaction_id: transactionId,
    // Only hidden: the device app asks the user to type the code shown on the login screen. In `details`
    // it would be on the phone's screen and the user could approve without looking at the login page.
    ...(matchCode === undefined ? {} : { match_code: matchCode }),
  });
  const expiresAt = now + options.expiresInMs;
  // The whole start (lookup, retries, creation) must finish well before the challenge would expire.
  const deadline = Math.min(expiresAt, now + options.requestTimeoutMs * (options.retries + 2));

  const factorSid = await chooseFactor(deps, identity, user, req, deadline);
  await supersedePrevious(deps, identity, deadline);
  const challenge = await deps.api.createChallenge({
    identity,
    factorSid,
    message: details.message,
    fields: details.fields,
    hiddenDetails,
    expiresAt: new Date(expiresAt),
    transactionId,
    deadline,
  });
  if (!isSid('challenge', challenge.sid) || challenge.hiddenDetails.transaction_id !== transactionId) {
    throw new VerifyPushError('TWILIO_ERROR', 'Twilio answered the challenge creation with an unexpected challenge.');
  }
  // Twilio stores the expiry without milliseconds: keep the earlier of the two so we never outlive Twilio.
  // Guess: Twilio answers with the ExpirationDate we asked for (within its 60-minute maximum); a missing or
  // past date in the answer is ignored rather than trusted.
  const twilioExpiry = challenge.expirationDate.getTime();
  const record: ChallengeRecord = {
    challengeSid: challenge.sid,
    serviceSid: options.serviceSid,
    identity,
    factorSid,
    transactionId,
    ...(matchCode === undefined ? {} : { matchCode }),
    status: 'pending',
    createdAt: now,
    expiresAt: twilioExpiry > now ? Math.min(expiresAt, twilioExpiry) : expiresAt,
  };
  const ttl = recordTtlMs(record, now);
  await store.set(record, ttl);
  await store.setActive(identity, record.challengeSid, ttl);
  const pending: PendingMark = {
    challengeSid: record.challengeSid,
    serviceSid: record.serviceSid,
    identity,
    factorSid,
    transactionId,
    expiresAt: record.expiresAt,
    ...(matchCode === undefined ? {} : { matchCode }),
    message: details.message,
    fields: details.fields,
  };
  return { record, pending };
}
