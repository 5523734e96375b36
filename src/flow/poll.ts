import { isVerifyPushError } from '../errors.js';
import { expireIfDue, RECORD_GRACE_MS, settle, type SettleDeps } from './settle.js';
import type { ChallengeRecord } from '../stores/types.js';
import type { VerifyApi } from '../twilio/verify-api.js';

export interface PollDeps extends SettleDeps {
  api: Pick<VerifyApi, 'fetchChallenge'>;
  /** Shortest time between two Twilio fetches of one challenge, in ms (changes once a webhook is mounted). */
  fetchIntervalMs(): number;
  requestTimeoutMs: number;
  /** Checks in progress in this process, by challenge sid, so concurrent requests share one. */
  inflight: Map<string, Promise<ChallengeRecord>>;
}

/**
 * Brings a record up to date for a request that is checking on it: detects expiry locally, and otherwise
 * fetches the challenge from Twilio at most once per interval per challenge, however many tabs, clients or
 * app instances poll. Two layers do that: concurrent checks in this process share one promise, and across
 * processes a lease in the store (`poll:<sid>:<bucket>`) lets only one caller fetch in each interval.
 *
 * Intervals are counted from the challenge's creation and the first one is skipped: right after creating
 * the challenge, Twilio has nothing new to say, and with a webhook the fallback fetch should only happen
 * once the webhook had its chance.
 */
/**
 * When the next Twilio fetch of a pending record may happen: the start of the next interval counted from the
 * challenge's creation (see refreshRecord). A waiting page's watcher re-reads then, so a lost webhook costs at
 * most one interval.
 */
export function nextFetchAt(record: ChallengeRecord, now: number, intervalMs: number): number {
  const bucket = Math.max(0, Math.floor((now - record.createdAt) / intervalMs));
  return record.createdAt + (bucket + 1) * intervalMs;
}

export function refreshRecord(deps: PollDeps, record: ChallengeRecord): Promise<ChallengeRecord> {
  if (record.status !== 'pending') return Promise.resolve(record);
  const now = deps.clock();
  if (now > record.expiresAt) return finalAnswer(deps, record);
  const interval = deps.fetchIntervalMs();
  const bucket = Math.floor((now - record.createdAt) / interval);
  if (bucket < 1) return Promise.resolve(record);
  const running = deps.inflight.get(record.challengeSid);
  if (running) return running;
  const task = fetchAndSettle(deps, record, bucket, interval).finally(() => {
    deps.inflight.delete(record.challengeSid);
  });
  deps.inflight.set(record.challengeSid, task);
  return task;
}

/**
 * A pending record past its expiry: one caller (a lease per challenge) asks Twilio once for the final answer
 * before it is recorded as expired, so a denial the phone sent since the last fetch is still counted (without
 * a webhook nobody else would ever see it). Everyone else, and that caller when Twilio fails, expires it
 * locally; a denial found afterwards still replaces the expiry (see settle).
 */
async function finalAnswer(deps: PollDeps, record: ChallengeRecord): Promise<ChallengeRecord> {
  const leased = await deps.store.claim(`poll:${record.challengeSid}:final`, RECORD_GRACE_MS);
  if (leased) {
    const challenge = await deps.api
      .fetchChallenge(record.identity, record.challengeSid, deps.clock() + deps.requestTimeoutMs)
      .catch((error: unknown) => {
        if (isVerifyPushError(error)) return undefined;
        throw error;
      });
    if (challenge) return settle(deps, record, challenge);
  }
  return expireIfDue(deps, record);
}

async function fetchAndSettle(deps: PollDeps, record: ChallengeRecord, bucket: number, interval: number): Promise<ChallengeRecord> {
  const leased = await deps.store.claim(`poll:${record.challengeSid}:${bucket}`, interval * 2);
  if (!leased) return record;
  let challenge;
  try {
    challenge = await deps.api.fetchChallenge(record.identity, record.challengeSid, deps.clock() + deps.requestTimeoutMs);
  } catch (error) {
    // Twilio unreachable, slow or rate limiting: the login simply stays pending (it can never complete
    // without a confirmed approval) and the next interval, or the webhook, tries again. Expiry still applies.
    // Guess: a 404 for a challenge we created is a transient Twilio inconsistency, so it is treated the same.
    if (isVerifyPushError(error)) return record;
    throw error;
  }
  return settle(deps, record, challenge);
}
