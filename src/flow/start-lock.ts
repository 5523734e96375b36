import { VerifyPushError } from '../errors.js';
import type { ChallengeStore } from '../stores/types.js';
import { newOperationId } from './records.js';

export interface StartLockOptions {
  /** How long the lock holds if its owner dies without releasing it (store clock), in ms. */
  holdMs: number;
  /** How long to wait for another start of the same user to finish (wall time), in ms. */
  waitMs: number;
}

/** Pause between two attempts to take a busy lock, in ms, before jitter. */
const RETRY_MS = 25;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs one start of a user's challenge while holding that user's start lock in the store, so starts of one user
 * happen one after another across every app instance: each sees what the previous one left (its unanswered
 * push, its denials) before deciding, and the limits that count outstanding pushes cannot be raced. A start
 * that finds the lock taken waits for it rather than failing; the lock's TTL frees it if its holder died.
 */
export async function withStartLock<T>(
  store: ChallengeStore,
  identity: string,
  options: StartLockOptions,
  run: () => Promise<T>,
): Promise<T> {
  const key = `start-lock:${identity}`;
  const owner = newOperationId();
  const giveUpAt = Date.now() + options.waitMs;
  while (!(await store.claim(key, options.holdMs, owner))) {
    if (Date.now() >= giveUpAt) {
      throw new VerifyPushError('RATE_LIMITED', 'Another sign-in request for this account is being sent. Try again in a moment.', {
        retryAfter: 1,
      });
    }
    await sleep(RETRY_MS * (1 + Math.random()));
  }
  try {
    return await run();
  } finally {
    // A failed release only delays the next start until the TTL frees the lock; it must not mask `run`'s result.
    await store.release(key, owner).catch(() => undefined);
  }
}
