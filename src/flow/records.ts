/** Rules about challenge records that every step of the flow shares: lifetime, transitions, binding. */
import { randomBytes } from 'node:crypto';
import type { ChallengeRecord, ChallengeStatus } from '../stores/types.js';
import type { TwilioChallenge } from '../twilio/resources.js';
import type { PendingMark } from '../types.js';

/**
 * How long a record outlives its challenge's expiry. Late webhooks and polls must still find it (to answer
 * "expired" or "already used" rather than "unknown"), and a completed record must stay to refuse replays.
 */
export const RECORD_GRACE_MS = 15 * 60 * 1000;

export function recordTtlMs(record: ChallengeRecord, now: number): number {
  return Math.max(60_000, record.expiresAt + RECORD_GRACE_MS - now);
}

/** A fresh id for one logical store write, so the store can recognise it when it is repeated (96 random bits). */
export function newOperationId(): string {
  return randomBytes(12).toString('base64url');
}

/** The record moved to `status`, as one new write (see ChallengeStore.compareAndSet). */
export function transition(record: ChallengeRecord, status: ChallengeStatus, now: number, extra: Partial<ChallengeRecord> = {}): ChallengeRecord {
  return { ...record, ...extra, status, settledAt: extra.settledAt ?? (status === 'completed' ? record.settledAt : now), writeId: newOperationId() };
}

/** Does the store's record describe exactly the challenge this session is waiting for? */
export function bindingMatches(record: ChallengeRecord, pending: PendingMark): boolean {
  return (
    record.challengeSid === pending.challengeSid &&
    record.serviceSid === pending.serviceSid &&
    record.identity === pending.identity &&
    record.factorSid === pending.factorSid &&
    record.transactionId === pending.transactionId
  );
}

/**
 * Is this fetched challenge really the one the record describes? Everything the record binds must agree,
 * the hidden transaction id included: an approval of some other challenge (another login of the same user,
 * another service, a stale one) must never complete this login.
 */
export function challengeMatches(record: ChallengeRecord, challenge: TwilioChallenge): boolean {
  return (
    challenge.sid === record.challengeSid &&
    challenge.serviceSid === record.serviceSid &&
    challenge.identity === record.identity &&
    challenge.factorSid === record.factorSid &&
    challenge.hiddenDetails.transaction_id === record.transactionId &&
    (record.matchCode === undefined || challenge.hiddenDetails.match_code === record.matchCode) &&
    (record.actionDigest === undefined || actionIntact(record, challenge))
  );
}

/**
 * A transaction approval counts only for the action it was asked for, as the phone showed it: Twilio's stored
 * challenge must carry the action's digest in its hidden details and the very message and fields we computed
 * for that action (the amount and payee the user saw are the ones authorised).
 */
function actionIntact(record: ChallengeRecord, challenge: TwilioChallenge): boolean {
  const fields = record.fields ?? [];
  return (
    challenge.hiddenDetails.action_digest === record.actionDigest &&
    challenge.details.message === record.message &&
    challenge.details.fields.length === fields.length &&
    challenge.details.fields.every((field, i) => field.label === fields[i]?.label && field.value === fields[i]?.value)
  );
}
