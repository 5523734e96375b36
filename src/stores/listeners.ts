import type { ChallengeListener, ChallengeRecord } from './types.js';

/**
 * Who listens to which challenge in this process, for a store's `subscribe`: the memory store tells them of
 * its own writes, the Redis store of every instance's writes. Thousands of short-lived waiting pages come and
 * go, so an emptied challenge leaves no entry behind; a listener's fault never reaches the write that told it,
 * nor the other listeners.
 */
export class ChallengeListeners {
  private readonly byChallenge = new Map<string, Set<ChallengeListener>>();

  /** @param onError told when a listener throws or rejects (default: ignored). */
  constructor(private readonly onError: (error: unknown, challengeSid: string) => void = () => undefined) {}

  /** Starts telling `listener` of one challenge; returns the function that stops it (twice is harmless). */
  add(challengeSid: string, listener: ChallengeListener): () => void {
    let set = this.byChallenge.get(challengeSid);
    if (set === undefined) {
      set = new Set();
      this.byChallenge.set(challengeSid, set);
    }
    set.add(listener);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const current = this.byChallenge.get(challengeSid);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.byChallenge.delete(challengeSid);
    };
  }

  has(challengeSid: string): boolean {
    return this.byChallenge.has(challengeSid);
  }

  /** The challenges someone listens to, for re-reading them after notifications may have been lost. */
  watched(): string[] {
    return [...this.byChallenge.keys()];
  }

  /** Tells every listener of the record's challenge, each with its own copy. */
  notify(record: Readonly<ChallengeRecord>): void {
    const set = this.byChallenge.get(record.challengeSid);
    if (set === undefined) return;
    // A snapshot: listeners commonly unsubscribe themselves when told.
    for (const listener of [...set]) {
      try {
        const result: unknown = listener({ ...record });
        if (typeof (result as { then?: unknown } | null)?.then === 'function') {
          (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.failed(error, record.challengeSid));
        }
      } catch (error) {
        this.failed(error, record.challengeSid);
      }
    }
  }

  clear(): void {
    this.byChallenge.clear();
  }

  stats(): { challenges: number; listeners: number } {
    let listeners = 0;
    for (const set of this.byChallenge.values()) listeners += set.size;
    return { challenges: this.byChallenge.size, listeners };
  }

  private failed(error: unknown, challengeSid: string): void {
    try {
      this.onError(error, challengeSid);
    } catch {
      // The error reporter failing is no reason to fail the write either.
    }
  }
}
