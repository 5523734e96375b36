import { randomBytes, randomInt } from 'node:crypto';
import { VerifyPushError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { isSid } from '../sids.js';
import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { VerifyPort } from '../twilio/verify-api.js';
import type { DetailField, PendingMark, PushFactor, PushPurpose, VerifyPushRequest } from '../types.js';
import { challengeContext } from './context.js';
import { buildHiddenDetails, checkDetails, defaultFields, defaultMessage } from './details.js';
import type { Asker, OutcomeRecorder } from './recorder.js';
import { newOperationId, recordTtlMs } from './records.js';
import type { Reconciled } from './reconcile.js';

export interface CreateDeps<User> {
  api: Pick<VerifyPort, 'listPushFactors' | 'createChallenge' | 'fetchChallenge'>;
  store: ChallengeStore;
  recorder: OutcomeRecorder<User>;
  options: ResolvedOptions<User>;
}

/** Where a start comes from, as the new record keeps it (digests only: see ChallengeRecord). */
export interface StartOrigin {
  startedFrom: string;
  startedBy: string;
}

/** What a push is for and what it shows; a login's message and fields come from the strategy's options. */
export interface PushSpec {
  purpose: PushPurpose;
  message?: string;
  fields?: DetailField[];
  /** Bound into the hidden details (`action_digest`) of a transaction approval. */
  actionDigest?: string;
  /** Where the waiting page goes once approved. */
  returnTo?: string;
}

export const LOGIN: PushSpec = { purpose: 'login' };

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

async function chooseFactor<User>(deps: CreateDeps<User>, identity: string, user: User, req: VerifyPushRequest, deadline: number): Promise<string> {
  const factors = await deps.api.listPushFactors(identity, deadline);
  const chosen = deps.options.factor ? await deps.options.factor(factors, user, req) : defaultFactor(factors);
  if (chosen === undefined) {
    throw new VerifyPushError('NO_PUSH_FACTOR', 'This user has no verified push factor.');
  }
  // Only one of this user's own verified factors: the choice must not reach another entity's device.
  const factor = factors.find((candidate) => candidate.sid === chosen);
  if (!factor || factor.status !== 'verified' || !isSid('factor', chosen)) {
    throw new VerifyPushError('NO_PUSH_FACTOR', "The `factor` option did not return one of the user's verified push factors.");
  }
  return chosen;
}

/**
 * One pending challenge per user (A1): the challenge the active pointer named before ours is marked superseded,
 * so approving it later (Twilio cannot cancel it) logs nobody in. The swap is atomic in the store, so of several
 * starts racing for one user exactly one ends as the active challenge. When the previous one is not the one we
 * reconciled (another start slipped in between), its outcome is asked first and what it carried is taken over,
 * so its denial still counts.
 */
async function supersedePrevious<User>(
  deps: CreateDeps<User>,
  record: ChallengeRecord,
  previousSid: string | undefined,
  reconciled: Reconciled,
  deadline: number,
  asker: Asker<User>,
): Promise<void> {
  const { store, recorder, options } = deps;
  if (previousSid === undefined || previousSid === record.challengeSid) return;
  let previous = await store.get(previousSid);
  if (previous === undefined) return;
  const slippedIn = previousSid !== reconciled.activeSid;
  if (slippedIn && previous.status === 'pending') {
    const challenge = await deps.api.fetchChallenge(record.identity, previousSid, deadline).catch(() => undefined);
    if (challenge) previous = await recorder.record(previous, challenge, asker);
  }
  await recorder.supersede(previous);
  if (slippedIn) {
    const carried = [...new Set([...(record.earlierUnanswered ?? []), previousSid, ...(previous.earlierUnanswered ?? [])])];
    const now = options.clock();
    const next: ChallengeRecord = { ...record, earlierUnanswered: carried, writeId: newOperationId() };
    // Fails only if our challenge already moved on (answered within milliseconds): nothing left to carry then.
    await store.compareAndSet(record.challengeSid, 'pending', next, recordTtlMs(record, now));
  }
}

/**
 * Creates a push challenge for a user who passed the first factor: details and hidden details are built and
 * checked against Twilio's limits first (no call is wasted on a configuration error), then the factor is
 * chosen, the challenge created, recorded in the store, made the user's active one, and the one it replaces
 * superseded. Returns the pending mark the session will keep.
 */
export async function createChallenge<User>(
  deps: CreateDeps<User>,
  asker: Asker<User>,
  identity: string,
  origin: StartOrigin,
  reconciled: Reconciled,
  spec: PushSpec,
): Promise<PendingMark> {
  const { options, store } = deps;
  const { req, user } = asker;
  const now = options.clock();
  const ctx = challengeContext(req, user, now);
  const message =
    spec.message ?? (typeof options.message === 'function' ? options.message(ctx) : (options.message ?? defaultMessage(options.appName)));
  const details = checkDetails(message, spec.fields ?? (options.fields ? options.fields(ctx) : defaultFields(ctx)));
  const transactionId = newTransactionId();
  const matchCode = options.matchDigits > 0 ? newMatchCode(options.matchDigits) : undefined;
  const hiddenDetails = buildHiddenDetails(options.hiddenDetails?.(ctx), {
    transaction_id: transactionId,
    // Only hidden: the device app asks the user to type the code shown on the login screen. In `details`
    // it would be on the phone's screen and the user could approve without looking at the login page.
    ...(matchCode === undefined ? {} : { match_code: matchCode }),
    // A transaction approval is bound to exactly this action (dynamic linking); see approve-action.ts.
    ...(spec.actionDigest === undefined ? {} : { action_digest: spec.actionDigest }),
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
    ...origin,
    ...(spec.purpose === 'login' ? {} : { purpose: spec.purpose }),
    ...(spec.actionDigest === undefined ? {} : { actionDigest: spec.actionDigest }),
    ...(spec.returnTo === undefined ? {} : { returnTo: spec.returnTo }),
    message: details.message,
    fields: details.fields,
    ...(reconciled.unanswered.length === 0 ? {} : { earlierUnanswered: reconciled.unanswered.map((earlier) => earlier.challengeSid) }),
  };
  const ttl = recordTtlMs(record, now);
  await store.set(record, ttl);
  const previousSid = await store.swapActive(identity, record.challengeSid, ttl);
  await supersedePrevious(deps, record, previousSid, reconciled, deadline, asker);
  return pendingMarkOf(record);
}

/** The session's view of a challenge record: what it needs to check an approval and to answer pending. */
export function pendingMarkOf(record: ChallengeRecord): PendingMark {
  return {
    challengeSid: record.challengeSid,
    serviceSid: record.serviceSid,
    identity: record.identity,
    factorSid: record.factorSid,
    transactionId: record.transactionId,
    expiresAt: record.expiresAt,
    ...(record.matchCode === undefined ? {} : { matchCode: record.matchCode }),
    message: record.message ?? '',
    fields: record.fields ?? [],
    ...(record.purpose === undefined ? {} : { purpose: record.purpose }),
    ...(record.actionDigest === undefined ? {} : { actionDigest: record.actionDigest }),
    ...(record.returnTo === undefined ? {} : { returnTo: record.returnTo }),
  };
}
