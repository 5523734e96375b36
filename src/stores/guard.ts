import { isVerifyPushError, VerifyPushError } from '../errors.js';
import type { ChallengeStore } from './types.js';

function storeError(error: unknown): VerifyPushError {
  if (isVerifyPushError(error)) return error;
  return new VerifyPushError('STORE_ERROR', 'The challenge store failed.', { cause: error });
}

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw storeError(error);
  }
}

/**
 * The app's store with every failure turned into a STORE_ERROR, so an outage of Redis (or a bug in a custom
 * store) reaches the app as one stable code, and the flow fails closed instead of crashing.
 */
export function guardStore(store: ChallengeStore): ChallengeStore {
  return {
    get: (sid) => guard(() => store.get(sid)),
    set: (record, ttlMs) => guard(() => store.set(record, ttlMs)),
    compareAndSet: (sid, expected, next, ttlMs) => guard(() => store.compareAndSet(sid, expected, next, ttlMs)),
    getActive: (identity) => guard(() => store.getActive(identity)),
    swapActive: (identity, sid, ttlMs) => guard(() => store.swapActive(identity, sid, ttlMs)),
    increment: (key, windowMs, operationId) => guard(() => store.increment(key, windowMs, operationId)),
    count: (key) => guard(() => store.count(key)),
    claim: (key, ttlMs, owner) => guard(() => store.claim(key, ttlMs, owner)),
    release: (key, owner) => guard(() => store.release(key, owner)),
    subscribe: (sid, listener) => guard(() => store.subscribe(sid, listener)),
    close: () => guard(async () => store.close?.()),
  };
}
