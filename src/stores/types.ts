/**
 * The challenge store: shared state that lets a webhook received by one app instance
 * complete a login polled on another. Every method may reject; callers fail closed.
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
  /** ms since epoch when the outcome (approved/denied/expired) was recorded */
  settledAt?: number;
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
  /** Create or overwrite; the record disappears after ttlMs. Notifies subscribers. */
  set(record: ChallengeRecord, ttlMs: number): Promise<void>;
  /**
   * Atomically replace the record only if its current status is `expectedStatus`.
   * Resolves true when this caller won; notifies subscribers on success.
   */
  compareAndSet(
    challengeSid: string,
    expectedStatus: ChallengeStatus,
    next: ChallengeRecord,
    ttlMs: number,
  ): Promise<boolean>;
  delete(challengeSid: string): Promise<void>;

  /** The one pending challenge per identity (A1). */
  getActive(identity: string): Promise<string | undefined>;
  setActive(identity: string, challengeSid: string, ttlMs: number): Promise<void>;

  /** Fixed-window counter, for rate limits and denial counts. */
  increment(key: string, windowMs: number): Promise<CounterResult>;
  /** Read a counter without changing it (0 when absent). */
  count(key: string): Promise<number>;
  /** True for the first caller with this key until ttlMs passes (webhook dedupe, poll lease). */
  claim(key: string, ttlMs: number): Promise<boolean>;

  /** Be told of every change to one challenge; returns the unsubscribe function. */
  subscribe(challengeSid: string, listener: ChallengeListener): () => void;
  close?(): Promise<void>;
}
