/**
 * The strategy settings every instance of the soak deployment shares: short expiries so ignored pushes end in
 * seconds, a fallback poll short enough that a lost webhook costs little, Twilio requests that give up soon
 * (a hung call ends in 2 s), a store deadline of 1 s, and start and denial limits scaled to the logins a user
 * makes in one Redis life (the restart empties the counters), so heavy users meet them and light ones do not.
 */
import { RESTART_AT } from './chaos.js';
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
  // Logins of an average user before the restart (or in the whole run without one).
  const average = (options.logins / options.users) * (options.redisRestart ? RESTART_AT : 1);
  return {
    expiresInSeconds: options.expiresInSeconds,
    pollIntervalMs: 1000,
    webhookFallbackPollMs: 3000,
    requestTimeoutMs: 2000,
    retries: 2,
    operationTimeoutMs: 1000,
    limits: {
      // Users log in from half to one and a half times as often as the average; an office address serves two
      // users, 70 % of their logins each.
      perIp: { max: Math.max(5, Math.round(average * 1.5)), windowSeconds: WINDOW_SECONDS },
      perUser: { max: Math.max(3, Math.round(average * 0.8)), windowSeconds: WINDOW_SECONDS },
      perUserTotal: { max: Math.max(4, Math.round(average * 1.15)), windowSeconds: WINDOW_SECONDS },
      denials: { max: 3, windowSeconds: WINDOW_SECONDS },
    },
    events: { heartbeatMs: 1000, maxLifetimeMs: 20_000, longPollTimeoutMs: 5000, retryMs: 500 },
  };
}
