import { countDenial } from './rate-limit.js';
import type { ChallengeRecord, ChallengeStatus, ChallengeStore } from './stores/types.js';
import type { TwilioChallenge } from './verify-api.js';

export interface SettleDeps {
  store: ChallengeStore;
  clock: () => number;
  /** Window of the per-user denial counter, in ms (undefined: the default hour). */
  denialWindowMs: number | undefined;
  /** Told once per denied challenge, by the caller that recorded the denial, with the running count. */
  onDenial?(identity: string, count: number): Promise<void>;
}

/** settle() with its dependencies bound: what the webhook handler and the poller call. */
export type Settle = (record: ChallengeRecord, challenge: TwilioChallenge) => Promise<ChallengeRecord>;

/**
 * How long a record outlives its challenge's expiry. Late webhooks and polls must still find it (to answer
 * "expired" or "already used" rather than "unknown"), and a completed record must stay to refuse replays.
 */
export const RECORD_GRACE_MS = 15 * 60 * 1000;

export function recordTtlMs(record: ChallengeRecord, now: number): number {
  return Math.max(60_000, record.expiresAt + RECORD_GRACE_MS - now);
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
    (record.matchCode === undefined || challenge.hiddenDetails.match_code === record.matchCode)
  );
}

async function moveFromPending(
  deps: SettleDeps,
  record: ChallengeRecord,
  status: ChallengeStatus,
): Promise<ChallengeRecord> {
  const now = deps.clock();
  const next: ChallengeRecord = { ...record, status, settledAt: now };
  const won = await deps.store.compareAndSet(record.challengeSid, 'pending', next, recordTtlMs(record, now));
  if (won) {
    // Only the caller that recorded the denial counts it, so a webhook and a poll seeing the same denial
    // count it once, and a denial is never "un-counted" by starting a new challenge.
    if (status === 'denied') {
      const count = await countDenial(deps.store, record.identity, deps.denialWindowMs);
      await deps.onDenial?.(record.identity, count);
    }
    return next;
  }
  return (await deps.store.get(record.challengeSid)) ?? record;
}

/**
 * Twilio sends no expiry event: a pending record past its expiry is expired by whoever notices first.
 * Any other record is returned as it is.
 */
export function expireIfDue(deps: SettleDeps, record: ChallengeRecord): Promise<ChallengeRecord> {
  if (record.status !== 'pending' || deps.clock() <= record.expiresAt) return Promise.resolve(record);
  return moveFromPending(deps, record, 'expired');
}

/**
 * Records what Twilio says about a challenge, given our record of it. Only `pending` records move, and only
 * through compare-and-set, so racing webhooks and polls agree on one outcome and a denial can never later be
 * flipped to an approval. Returns the record as it now stands.
 */
export async function settle(deps: SettleDeps, record: ChallengeRecord, challenge: TwilioChallenge): Promise<ChallengeRecord> {
  if (record.status !== 'pending') return record;
  if (!challengeMatches(record, challenge)) return record;
  const now = deps.clock();
  switch (challenge.status) {
    case 'approved': {
      // An approval after our expiry does not count, whether we learn of it late (clock) or Twilio's own
      // answer time says so. Guess: date_responded is when the device answered (Twilio's clock, which may
      // differ from ours by a little; the local clock check covers the rest).
      const late = now > record.expiresAt || (challenge.dateResponded !== null && challenge.dateResponded.getTime() > record.expiresAt);
      return moveFromPending(deps, record, late ? 'expired' : 'approved');
    }
    case 'denied':
      return moveFromPending(deps, record, 'denied');
    case 'expired':
      return moveFromPending(deps, record, 'expired');
    case 'pending':
      return now > record.expiresAt ? moveFromPending(deps, record, 'expired') : record;
  }
}
