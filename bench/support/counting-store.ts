/**
 * A ChallengeStore that counts the strategy's calls to each method before passing them to the real store, so
 * a benchmark can set what the strategy asked for beside what the store sent to Redis for it.
 */
import type { ChallengeListener, ChallengeRecord, ChallengeStatus, ChallengeStore, CounterResult } from '../../src/index.js';

export type StoreMethod = 'get' | 'set' | 'compareAndSet' | 'getActive' | 'swapActive' | 'increment' | 'count' | 'claim' | 'release' | 'subscribe';

export class CountingStore implements ChallengeStore {
  readonly calls = new Map<StoreMethod, number>();
  private readonly inner: ChallengeStore;

  constructor(inner: ChallengeStore) {
    this.inner = inner;
  }

  clear(): void {
    this.calls.clear();
  }

  get(challengeSid: string): Promise<ChallengeRecord | undefined> {
    this.tally('get');
    return this.inner.get(challengeSid);
  }

  set(record: ChallengeRecord, ttlMs: number): Promise<void> {
    this.tally('set');
    return this.inner.set(record, ttlMs);
  }

  compareAndSet(challengeSid: string, expectedStatus: ChallengeStatus, next: ChallengeRecord, ttlMs: number): Promise<boolean> {
    this.tally('compareAndSet');
    return this.inner.compareAndSet(challengeSid, expectedStatus, next, ttlMs);
  }

  getActive(identity: string): Promise<string | undefined> {
    this.tally('getActive');
    return this.inner.getActive(identity);
  }

  swapActive(identity: string, challengeSid: string, ttlMs: number): Promise<string | undefined> {
    this.tally('swapActive');
    return this.inner.swapActive(identity, challengeSid, ttlMs);
  }

  increment(key: string, windowMs: number, operationId: string): Promise<CounterResult> {
    this.tally('increment');
    return this.inner.increment(key, windowMs, operationId);
  }

  count(key: string): Promise<CounterResult> {
    this.tally('count');
    return this.inner.count(key);
  }

  claim(key: string, ttlMs: number, owner: string): Promise<boolean> {
    this.tally('claim');
    return this.inner.claim(key, ttlMs, owner);
  }

  release(key: string, owner: string): Promise<void> {
    this.tally('release');
    return this.inner.release(key, owner);
  }

  subscribe(challengeSid: string, listener: ChallengeListener): Promise<() => void> {
    this.tally('subscribe');
    return this.inner.subscribe(challengeSid, listener);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private tally(method: StoreMethod): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }
}
