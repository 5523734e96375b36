/**
 * The strategy settings every instance of the soak deployment shares: short expiries so ignored pushes end in
 * seconds, a fallback poll short enough that a lost webhook costs little, Twilio requests that give up soon
 * (a hung call ends in 2 s), a store deadline of 1 s, and start and denial limits scaled to the plan so
 * heavy users meet them and light ones do not.
 */
import type { SoakOptions } from './options.js';

export interface Limit {
  max: number;
  windowSeconds: number;
}

export interface SoakLimits {
  perIp: Limit;
  perUser: Limit;
  perUserTotal: Limit;
  denials: Limit;
}

export interface SoakDeployment {
  expiresInSeconds: number;
  pollIntervalMs: number;
  webhookFallbackPollMs: number;
  requestTimeoutMs: number;
  retries: number;
  /** The Redis store's deadline for one operation. */
  operationTimeoutMs: number;
  limits: SoakLimits;
  events: { heartbeatMs: number; maxLifetimeMs: number; longPollTimeoutMs: number; retryMs: number };
}

/** Longer than any run: counters never roll over mid-run, so what they hold is the whole run's (per Redis life). */
const WINDOW_SECONDS = 6 * 3600;

export function soakDeployment(options: SoakOptions): SoakDeployment {
  const average = options.logins / options.users;
  return {
    expiresInSeconds: options.expiresInSeconds,
    pollIntervalMs: 1000,
    webhookFallbackPollMs: 3000,
    requestTimeoutMs: 2000,
    retries: 2,
    operationTimeoutMs: 1000,
    limits: {
      // An office address serves two users, 70 % of their logins each.
      perIp: { max: Math.max(4, Math.round(average * 1.5)), windowSeconds: WINDOW_SECONDS },
      perUser: { max: Math.max(2, Math.round(average * 0.9)), windowSeconds: WINDOW_SECONDS },
      perUserTotal: { max: Math.max(3, Math.round(average * 1.2)), windowSeconds: WINDOW_SECONDS },
      denials: { max: average >= 12 ? 4 : 3, windowSeconds: WINDOW_SECONDS },
    },
    events: { heartbeatMs: 1000, maxLifetimeMs: 20_000, longPollTimeoutMs: 5000, retryMs: 500 },
  };
}
