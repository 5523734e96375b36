import { isVerifyPushError } from '../errors.js';
import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { VerifyPort } from '../twilio/verify-api.js';
import type { Asker, OutcomeRecorder } from './recorder.js';
import { newOperationId, RECORD_GRACE_MS } from './records.js';

export interface PollerDeps<User> {
  api: Pick<VerifyPort, 'fetchChallenge'>;
  store: ChallengeStore;
  recorder: OutcomeRecorder<User>;
  clock: () => number;
  requestTimeoutMs: number;
  /** Shortest time between two Twilio fetches of one challenge, in ms (longer when webhooks are expected). */
  fetchIntervalMs(): number;
}

/**
 * Brings records up to date for requests that are checking on them: detects expiry locally, and otherwise
 * fetches the challenge from Twilio at most once per interval per challenge, however many tabs, clients or
 * app instances poll. Two layers do that: concurrent checks in this process share one promise, and across
 * processes a lease in the store (`poll:<sid>:<bucket>`) lets only one caller fetch in each interval.
 *
 * Intervals are counted from the challenge's creation and the first one is skipped: right after creating
 * the challenge, Twilio has nothing new to say, and with a webhook the fallback fetch should only happen
 * once the webhook had its chance.
 */
export class Poller<User> {
  /** Checks in progress in this process, by challenge sid. */
  private readonly inflight = new Map<string, Promise<ChallengeRecord>>();

  constructor(private readonly deps: PollerDeps<User>) {}

  refresh(record: ChallengeRecord, asker?: Asker<User>): Promise<ChallengeRecord> {
    if (record.status !== 'pending') return Promise.resolve(record);
    const now = this.deps.clock();
    if (now > record.expiresAt) return this.finalAnswer(record, asker);
    const interval = this.deps.fetchIntervalMs();
    const bucket = Math.floor((now - record.createdAt) / interval);
    if (bucket < 1) return Promise.resolve(record);
    const running = this.inflight.get(record.challengeSid);
    if (running) return running;
    const task = this.fetchAndRecord(record, `poll:${record.challengeSid}:${bucket}`, interval * 2, asker).finally(() => {
      this.inflight.delete(record.challengeSid);
    });
    this.inflight.set(record.challengeSid, task);
    return task;
  }

  /**
   * When the next Twilio fetch of a pending record may happen: the start of the next interval counted from
   * the challenge's creation. A waiting page's watcher re-reads then, so a lost webhook costs at most one
   * interval.
   */
  nextFetchAt(record: ChallengeRecord): number {
    const interval = this.deps.fetchIntervalMs();
    const bucket = Math.max(0, Math.floor((this.deps.clock() - record.createdAt) / interval));
    return record.createdAt + (bucket + 1) * interval;
  }

  /**
   * A pending record past its expiry: one caller (a lease per challenge) asks Twilio once for the final answer
   * before it is recorded as expired, so a denial the phone sent since the last fetch is still counted (without
   * a webhook nobody else would ever see it). Everyone else, and that caller when Twilio fails, expires it
   * locally; a denial found afterwards still replaces the expiry (see OutcomeRecorder).
   */
  private async finalAnswer(record: ChallengeRecord, asker: Asker<User> | undefined): Promise<ChallengeRecord> {
    const settled = await this.fetchAndRecord(record, `poll:${record.challengeSid}:final`, RECORD_GRACE_MS, asker);
    return this.deps.recorder.expireIfDue(settled);
  }

  /**
   * One Twilio fetch under a lease. Twilio unreachable, slow or rate limiting: the login simply stays pending
   * (it can never complete without a confirmed approval) and the next interval, or the webhook, tries again.
   * Twilio no longer knowing the challenge is treated the same: nothing is learnt, nothing changes.
   */
  private async fetchAndRecord(record: ChallengeRecord, lease: string, leaseMs: number, asker: Asker<User> | undefined): Promise<ChallengeRecord> {
    const { store, api, clock, requestTimeoutMs, recorder } = this.deps;
    if (!(await store.claim(lease, leaseMs, newOperationId()))) return record;
    let challenge;
    try {
      challenge = await api.fetchChallenge(record.identity, record.challengeSid, clock() + requestTimeoutMs);
    } catch (error) {
      if (isVerifyPushError(error)) return record;
      throw error;
    }
    return recorder.record(record, challenge, asker);
  }
}
