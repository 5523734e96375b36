import { randomBytes, randomInt } from 'node:crypto';
import { buildHiddenDetails, checkDetails, defaultFields, defaultMessage } from './details.js';
import { VerifyPushError } from '../errors.js';
import type { ChallengeContext, ResolvedOptions, VerifyPushRequest } from '../options.js';
import type { PendingMark } from '../session/marks.js';
import { addressTag, type UnansweredPush } from './limits.js';
import { recordTtlMs } from './settle.js';
import { isSid } from '../sids.js';
import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { PushFactor, TwilioChallenge, VerifyApi } from '../twilio/verify-api.js';

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

export interface UnansweredChallenge extends UnansweredPush {
  challengeSid: string;
}

/** What a start learned about the user's earlier challenges before creating its own. */
export interface Reconciled {
  /** The challenge the active pointer named when we looked. */
  activeSid: string | undefined;
  /** Challenges the phone has not answered yet, for the new challenge to carry. */
  unanswered: UnansweredChallenge[];
}

/** Our records of this user's challenges whose answer we do not know: the active one and those it carries. */
async function unansweredRecords(store: ChallengeStore, active: ChallengeRecord | undefined): Promise<ChallengeRecord[]> {
  if (active === undefined) return [];
  const carried = await Promise.all((active.earlierUnanswered ?? []).map((sid) => store.get(sid)));
  return [active, ...carried].filter(
    (record): record is ChallengeRecord => record !== undefined && (record.status === 'pending' || record.status === 'superseded'),
  );
}

/**
 * Before a new start, asks Twilio about this user's challenges whose answer we do not know yet: the active one
 * (nobody may have polled it: without a webhook, a denial the phone already sent would otherwise go unseen)
 * and the superseded ones the phone may still answer (Twilio cannot cancel them). A denial found here is
 * recorded and counted (settle) before the denial limit is checked, so with or without a webhook every
 * denied push counts. Returns the sids the phone still has not answered, for the new challenge to carry.
 * A failed fetch never stops the start: that challenge is asked about again next time.
 */
export async function reconcileUnanswered<User>(deps: StartDeps<User>, identity: string, deadline: number): Promise<Reconciled> {
  const activeSid = await deps.store.getActive(identity);
  const active = activeSid === undefined ? undefined : await deps.store.get(activeSid);
  const unanswered: UnansweredChallenge[] = [];
  for (const record of await unansweredRecords(deps.store, active)) {
    const challenge = await deps.api.fetchChallenge(identity, record.challengeSid, deadline).catch(() => undefined);
    if (challenge !== undefined) await deps.settle(record, challenge);
    const stillOpen = challenge === undefined || challenge.status === 'pending';
    if (stillOpen && deps.options.clock() <= record.expiresAt) {
      unanswered.push({ challengeSid: record.challengeSid, startedFrom: record.startedFrom, expiresAt: record.expiresAt });
    }
  }
  return { activeSid, unanswered };
}

/**
 * One pending challenge per user (A1): the challenge the active pointer named before ours is marked superseded,
 * so approving it later (Twilio cannot cancel it) logs nobody in. The swap is atomic in the store, so of several
 * starts racing for one user exactly one ends as the active challenge. When the previous one is not the one we
 * reconciled (another start slipped in between), its outcome is asked first and what it carried is taken over,
 * so its denial still counts.
 */
async function supersedePrevious<User>(
  deps: StartDeps<User>,
  record: ChallengeRecord,
  previousSid: string | undefined,
  reconciled: Reconciled,
  deadline: number,
): Promise<void> {
  const { store } = deps;
  if (previousSid === undefined || previousSid === record.challengeSid) return;
  let previous = await store.get(previousSid);
  if (previous === undefined) return;
  const slippedIn = previousSid !== reconciled.activeSid;
  if (slippedIn && previous.status === 'pending') {
    const challenge = await deps.api.fetchChallenge(record.identity, previousSid, deadline).catch(() => undefined);
    if (challenge) previous = await deps.settle(previous, challenge);
  }
  if (previous.status === 'pending') {
    const now = deps.options.clock();
    await store.compareAndSet(previousSid, 'pending', { ...previous, status: 'superseded', settledAt: now }, recordTtlMs(previous, now));
  }
  if (slippedIn) {
    const carried = [...new Set([...(record.earlierUnanswered ?? []), previousSid, ...(previous.earlierUnanswered ?? [])])];
    const now = deps.options.clock();
    // Fails only if our challenge already moved on (answered within milliseconds): nothing left to carry then.
    await store.compareAndSet(record.challengeSid, 'pending', { ...record, earlierUnanswered: carried }, recordTtlMs(record, now));
  }
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
  reconciled: Reconciled,
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
    startedFrom: addressTag(clientIp(req), options.identitySecret ?? options.serviceSid),
    ...(reconciled.unanswered.length === 0 ? {} : { earlierUnanswered: reconciled.unanswered.map((earlier) => earlier.challengeSid) }),
  };
  const ttl = recordTtlMs(record, now);
  await store.set(record, ttl);
  const previousSid = await store.swapActive(identity, record.challengeSid, ttl);
  await supersedePrevious(deps, record, previousSid, reconciled, deadline);
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
