/**
 * The challenge store contract: shared state that lets a webhook received by one app instance complete a
 * login polled on another. It is written for a network store (Redis): every method may reject (callers fail
 * closed), and every method that changes something can be repeated safely when its reply was lost on the
 * wire (see each method), because a store that retries after a timeout cannot know whether the first attempt
 * ran. `challengeStoreContract` (exported from `./testing`) checks an implementation against all of it.
 */

export type ChallengeStatus =
  | 'pending'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'superseded'
  /** approved and already used for a login: can never log anyone in again */
  | 'completed';

export interface ChallengeRecord {
  challengeSid: string;
  serviceSid: string;
  identity: string;
  factorSid: string;
  /** Random id also placed in the challenge's hidden_details. */
  transactionId: string;
  /** Number-matching code the user must enter on the device, when enabled. */
  matchCode?: string;
  status: ChallengeStatus;
  /** ms since epoch */
  createdAt: number;
  /** ms since epoch; the challenge's expiration_date */
  expiresAt: number;
  /** ms since epoch when the outcome (approved/denied/expired/superseded) was recorded */
  settledAt?: number;
  /** ms since epoch when a login used the approval (status `completed`). */
  completedAt?: number;
  /** A denial whose count (and report to `onDenied`) is still to be finished: false until it is. */
  denialCounted?: boolean;
  /**
   * Earlier challenges of this identity that were superseded while the phone had not answered them yet (Twilio
   * cannot cancel a challenge, so the phone can still deny one). The next start asks Twilio about them, so a
   * denial is counted even without a webhook.
   */
  earlierUnanswered?: string[];
  /**
   * A keyed digest of the client address that started the challenge (never the address itself): pushes
   * started from one address and still unanswered count against that address's denial allowance.
   */
  startedFrom?: string;
  /**
   * A digest of the session id that started the challenge (never the id itself), so parallel first requests
   * of one browser, on any instance, share this push instead of sending another.
   */
  startedBy?: string;
  /** What the push is for; absent means a login. */
  purpose?: 'login' | 'step-up' | 'action';
  /** A transaction approval's action digest, also in the challenge's hidden details (`action_digest`). */
  actionDigest?: string;
  /** Where the waiting page goes once approved (a step-up's asking page). */
  returnTo?: string;
  /** What the phone shows, so a request that shares the start can answer pending with it. */
  message?: string;
  fields?: Array<{ label: string; value: string }>;
  /**
   * Id of the write that produced this version of the record. `compareAndSet` uses it to recognise its own
   * write when repeated after a lost reply.
   */
  writeId?: string;
}

export type ChallengeListener = (record: ChallengeRecord) => void;

export interface CounterResult {
  /** value after the increment */
  count: number;
  /** ms since epoch when the window ends and the counter resets */
  resetAt: number;
}

export interface ChallengeStore {
  get(challengeSid: string): Promise<ChallengeRecord | undefined>;
  /** Create or overwrite; the record disappears after ttlMs. Notifies subscribers. Repeating it is harmless. */
  set(record: ChallengeRecord, ttlMs: number): Promise<void>;
  /**
   * Atomically replace the record only if its current status is `expectedStatus`. Resolves true when this
   * caller won; notifies subscribers on success. `next.writeId` must be fresh for each logical write: when the
   * stored record already carries it, the write had happened (its reply was lost) and the answer is true
   * again, so a retry never turns a won compare-and-set into "someone else won".
   */
  compareAndSet(challengeSid: string, expectedStatus: ChallengeStatus, next: ChallengeRecord, ttlMs: number): Promise<boolean>;

  /** The one pending challenge per identity (A1). */
  getActive(identity: string): Promise<string | undefined>;
  /**
   * Atomically make `challengeSid` the identity's active challenge and return the one it replaces (undefined
   * when none). Of several starts racing for one identity, each gets back a different previous one, so every
   * challenge but the last is superseded by exactly one of them. Repeating the same swap (a retry after a lost
   * reply) returns the same previous challenge again instead of the challenge itself.
   */
  swapActive(identity: string, challengeSid: string, ttlMs: number): Promise<string | undefined>;

  /**
   * Fixed-window counter, for rate limits and denial counts. An `operationId` counts once: repeating an
   * increment with the same id (a retry after a lost reply) returns the count without adding to it.
   */
  increment(key: string, windowMs: number, operationId: string): Promise<CounterResult>;
  /** Read a counter without changing it: count 0 and `resetAt` now when absent or expired. */
  count(key: string): Promise<CounterResult>;
  /**
   * True for the first caller with this key until ttlMs passes (webhook dedupe, poll lease, start lock), and
   * true again for that same `owner` repeating its claim (a retry after a lost reply); false for anyone else.
   */
  claim(key: string, ttlMs: number, owner: string): Promise<boolean>;
  /** Ends a claim before its TTL, only if `owner` holds it (a claim that already expired is left alone). */
  release(key: string, owner: string): Promise<void>;

  /**
   * Be told of every change to one challenge. Resolves, with the unsubscribe function, once the subscription
   * is live: a reader subscribes first and reads second, so no change can fall between the two.
   */
  subscribe(challengeSid: string, listener: ChallengeListener): Promise<() => void>;
  close?(): Promise<void>;
}
