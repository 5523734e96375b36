import type { ChallengeRecord, ChallengeStatus, ChallengeStore } from '../stores/types.js';
import type { TwilioChallenge } from '../twilio/resources.js';
import type { DeniedEvent, RateLimit, VerifyPushRequest } from '../types.js';
import { countDenial } from './limits.js';
import { challengeMatches, newOperationId, recordTtlMs, transition } from './records.js';

/** Who is checking, when a user's own request records an outcome (the webhook has no user or request). */
export interface Asker<User> {
  user: User;
  req: VerifyPushRequest;
}

export interface RecorderDeps<User> {
  store: ChallengeStore;
  clock: () => number;
  /** The denial limit in force (its window is the denial counter's window). */
  denials: RateLimit | undefined;
  onDenied: ((event: DeniedEvent<User>) => void | Promise<void>) | undefined;
}

/**
 * Statuses from which a denial is still recorded. Twilio cannot cancel a challenge, so the phone can deny one
 * we superseded; and a denial we learn of only after our local expiry still happened before Twilio's. A denial
 * is a signal (someone else may hold the password), so each one counts whatever became of its challenge.
 */
const DENIABLE: ReadonlySet<ChallengeStatus> = new Set(['pending', 'superseded', 'expired']);

/** A record moves a few times at most (pending → superseded or expired), so a few retries always suffice. */
const MAX_DENIAL_ATTEMPTS = 4;

/**
 * Records what Twilio says about challenges in the store: the one place outcomes are written, by the webhook,
 * a poll or a start alike. Records move only through compare-and-set, so racing writers agree on one outcome,
 * and whoever records a denial counts it and tells `onDenied`, exactly once per challenge.
 */
export class OutcomeRecorder<User> {
  constructor(private readonly deps: RecorderDeps<User>) {}

  /**
   * Records what Twilio says about a challenge, given our record of it. Only a `pending` record can become
   * approved; a denial is recorded from `pending`, `superseded` or `expired` and is final, so it can never
   * later be flipped to an approval. Returns the record as it now stands.
   */
  async record(record: ChallengeRecord, challenge: TwilioChallenge, asker?: Asker<User>): Promise<ChallengeRecord> {
    if (!challengeMatches(record, challenge)) return record;
    if (challenge.status === 'denied') return DENIABLE.has(record.status) ? this.move(record, 'denied', asker) : record;
    if (record.status !== 'pending') return record;
    const now = this.deps.clock();
    switch (challenge.status) {
      case 'approved': {
        // An approval after our expiry does not count, whether we learn of it late (clock) or Twilio's own
        // answer time says so. Guess: date_responded is when the device answered (Twilio's clock, which may
        // differ from ours by a little; the local clock check covers the rest).
        const late = now > record.expiresAt || (challenge.dateResponded !== null && challenge.dateResponded.getTime() > record.expiresAt);
        return this.move(record, late ? 'expired' : 'approved', asker);
      }
      case 'expired':
        return this.move(record, 'expired', asker);
      case 'pending':
        return now > record.expiresAt ? this.move(record, 'expired', asker) : record;
    }
  }

  /**
   * Twilio sends no expiry event: a pending record past its expiry is expired by whoever notices first.
   * Any other record is returned as it is.
   */
  expireIfDue(record: ChallengeRecord): Promise<ChallengeRecord> {
    if (record.status !== 'pending' || this.deps.clock() <= record.expiresAt) return Promise.resolve(record);
    return this.move(record, 'expired');
  }

  /** Marks a still-pending record superseded by a newer start; a record that moved on is left as it is. */
  async supersede(record: ChallengeRecord): Promise<void> {
    if (record.status !== 'pending') return;
    const now = this.deps.clock();
    await this.deps.store.compareAndSet(record.challengeSid, 'pending', transition(record, 'superseded', now), recordTtlMs(record, now));
  }

  /**
   * Moves the record from its current status to `status`. A denial may race with a local expiry or a
   * supersede of the same record: when the record moved under us to another status a denial is still
   * recorded from, it tries again from there rather than lose the denial.
   */
  private async move(record: ChallengeRecord, status: ChallengeStatus, asker?: Asker<User>): Promise<ChallengeRecord> {
    const { store, clock } = this.deps;
    let current = record;
    for (let attempt = 0; attempt < MAX_DENIAL_ATTEMPTS; attempt += 1) {
      const now = clock();
      // A denial is written as not yet counted, so whoever meets it later can finish the count if this
      // writer fails before it (see finishDenial).
      const next = transition(current, status, now, status === 'denied' ? { denialCounted: false } : {});
      if (await store.compareAndSet(current.challengeSid, current.status, next, recordTtlMs(current, now))) {
        return status === 'denied' ? this.finishDenial(next, asker) : next;
      }
      const latest = await store.get(current.challengeSid);
      if (latest === undefined) return current;
      if (status !== 'denied' || !DENIABLE.has(latest.status)) return latest;
      current = latest;
    }
    return current;
  }

  /**
   * Counts a recorded denial and tells `onDenied`, then marks the record counted. The writer that recorded the
   * denial does it at once; should it fail half-way (the store down between the writes), the next reader of
   * the record (a poll, the next start, a retried webhook) finishes it. Each step is once per challenge
   * however often it is repeated: the count's operation id is the challenge, and the report is claimed.
   */
  async finishDenial(record: ChallengeRecord, asker?: Asker<User>): Promise<ChallengeRecord> {
    if (record.status !== 'denied' || record.denialCounted !== false) return record;
    const { store, denials, onDenied, clock } = this.deps;
    const count = await countDenial(store, record.identity, record.challengeSid, denials?.windowSeconds);
    const now = clock();
    if (await store.claim(`denial-reported:${record.challengeSid}`, recordTtlMs(record, now), newOperationId())) {
      await onDenied?.({ identity: record.identity, count, limit: denials?.max ?? 0, ...asker });
    }
    const counted = transition(record, 'denied', record.settledAt ?? now, { denialCounted: true, settledAt: record.settledAt ?? now });
    await store.compareAndSet(record.challengeSid, 'denied', counted, recordTtlMs(record, now));
    return counted;
  }
}
