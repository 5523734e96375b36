import type { RateLimit, ResolvedLimits } from './options.js';
import type { ChallengeStore } from './stores/types.js';

export interface LimitHit {
  /** Which limit refused the start. */
  reason: 'user' | 'ip' | 'denials';
  /** Seconds until a new start may succeed (the Retry-After value). */
  retryAfter: number;
}

/** Window used to count denials when the denial limit is turned off (the count still reaches `onDenied`). */
const DEFAULT_DENIAL_WINDOW_MS = 3_600_000;

export function denialKey(identity: string): string {
  return `denied:${identity}`;
}

async function hit(store: ChallengeStore, key: string, limit: RateLimit, now: number): Promise<number | undefined> {
  const { count, resetAt } = await store.increment(key, limit.windowSeconds * 1000);
  if (count <= limit.max) return undefined;
  return Math.max(1, Math.ceil((resetAt - now) / 1000));
}

/**
 * Decides whether a new challenge may be started, before any Twilio call: a stolen password must not be
 * enough to flood the user's phone (push fatigue) or spend the app's Twilio quota. Fixed windows in the
 * shared store, so the limits hold across app instances. Attempts over the limit still count, so hammering
 * does not shorten the wait.
 */
export async function checkStartLimits(
  store: ChallengeStore,
  limits: ResolvedLimits,
  identity: string,
  ip: string,
  now: number,
): Promise<LimitHit | undefined> {
  if (limits.denials) {
    // Denials are counted when they happen (settle), across challenges: starting a new one does not reset them.
    const denied = await store.count(denialKey(identity));
    // The store does not say when this window ends; the full window is a safe upper bound.
    if (denied >= limits.denials.max) return { reason: 'denials', retryAfter: limits.denials.windowSeconds };
  }
  if (limits.perUser) {
    const retryAfter = await hit(store, `start:user:${identity}`, limits.perUser, now);
    if (retryAfter !== undefined) return { reason: 'user', retryAfter };
  }
  if (limits.perIp) {
    const retryAfter = await hit(store, `start:ip:${ip}`, limits.perIp, now);
    if (retryAfter !== undefined) return { reason: 'ip', retryAfter };
  }
  return undefined;
}

/** Counts one denial for the user; called once per challenge, by whoever records the denial. */
export async function countDenial(store: ChallengeStore, identity: string, windowMs: number | undefined): Promise<number> {
  const { count } = await store.increment(denialKey(identity), windowMs ?? DEFAULT_DENIAL_WINDOW_MS);
  return count;
}
