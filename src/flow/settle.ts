import { countDenial } from './limits.js';
import type { ChallengeRecord, ChallengeStatus, ChallengeStore } from '../stores/types.js';
import type { TwilioChallenge } from '../twilio/verify-api.js';

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

/**
 * Statuses from which a denial is still recorded. Twilio cannot cancel a challenge, so the phone can deny one
 * we superseded; and a denial we learn of only after our local expiry still happened before Twilio's. A denial
 * is a signal (someone else may hold the password), so each one counts whatever became of its challenge.
 */
const DENIABLE: ReadonlySet<ChallengeStatus> = new Set(['pending', 'superseded', 'expired']);

/**
 * Moves the record from its current status to `status` by compare-and-set. Only the caller whose write wins
 * counts a denial, so a webhook and a poll seeing the same denial count it once, and a denial is never
 * "un-counted" by starting a new challenge.
 */
async function move(deps: SettleDeps, record: ChallengeRecord, status: ChallengeStatus): Promise<ChallengeRecord> {
  let current = record;
  // A denial may race with a local expiry or a supersede of the same record: when the record moved under us
  // to another status a denial is still recorded from, try again from there rather than lose the denial.
  for (let attempt = 0; attempt < MAX_DENIAL_ATTEMPTS; attempt += 1) {
    const now = deps.clock();
    const next: ChallengeRecord = { ...current, status, settledAt: now };
    if (await deps.store.compareAndSet(current.challengeSid, current.status, next, recordTtlMs(current, now))) {
      if (status === 'denied') {
        const count = await countDenial(deps.store, current.identity, deps.denialWindowMs);
        await deps.onDenial?.(current.identity, count);
      }
      return next;
    }
    const latest = await deps.store.get(current.challengeSid);
    if (latest === undefined) return current;
    if (status !== 'denied' || !DENIABLE.has(latest.status)) return latest;
    current = latest;
  }
  return current;
}

/** A record moves a few times at most (pending → superseded or expired), so a few retries always suffice. */
const MAX_DENIAL_ATTEMPTS = 4;

/**
 * Twilio sends no expiry event: a pending record past its expiry is expired by whoever notices first.
 * Any other record is returned as it is.
 */
export function expireIfDue(deps: SettleDeps, record: ChallengeRecord): Promise<ChallengeRecord> {
  if (record.status !== 'pending' || deps.clock() <= record.expiresAt) return Promise.resolve(record);
  return move(deps, record, 'expired');
}

/**
 * Records what Twilio says about a challenge, given our record of it. Records move only through
 * compare-and-set, so racing webhooks and polls agree on one outcome. Only a `pending` record can become
 * approved; a denial is recorded from `pending`, `superseded` or `expired` (see DENIABLE) and is final, so it
 * can never later be flipped to an approval. Returns the record as it now stands.
 */
export async function settle(deps: SettleDeps, record: ChallengeRecord, challenge: TwilioChallenge): Promise<ChallengeRecord> {
  if (!challengeMatches(record, challenge)) return record;
  if (challenge.status === 'denied') return DENIABLE.has(record.status) ? move(deps, record, 'denied') : record;
  if (record.status !== 'pending') return record;
  const now = deps.clock();
  switch (challenge.status) {
    case 'approved': {
      // An approval after our expiry does not count, whether we learn of it late (clock) or Twilio's own
      // answer time says so. Guess: date_responded is when the device answered (Twilio's clock, which may
      // differ from ours by a little; the local clock check covers the rest).
      const late = now > record.expiresAt || (challenge.dateResponded !== null && challenge.dateResponded.getTime() > record.expiresAt);
      return move(deps, record, late ? 'expired' : 'approved');
    }
    case 'expired':
      return move(deps, record, 'expired');
    case 'pending':
      return now > record.expiresAt ? move(deps, record, 'expired') : record;
  }
}
