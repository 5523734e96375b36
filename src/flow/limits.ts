import { createHmac } from 'node:crypto';
import type { ResolvedLimits } from '../options.js';
import type { RateLimit } from '../types.js';
import { newOperationId } from './records.js';
import type { ChallengeStore } from '../stores/types.js';

export interface LimitHit {
  /** Which limit refused the start. */
  reason: 'ip' | 'user' | 'userTotal' | 'denials' | 'unanswered';
  /** Seconds until a new start may succeed (the Retry-After value). */
  retryAfter: number;
}

/** Window used to count denials when the denial limit is turned off (the count still reaches `onDenied`). */
const DEFAULT_DENIAL_WINDOW_MS = 3_600_000;

export function denialKey(identity: string): string {
  return `denied:${identity}`;
}

interface StartCounter {
  reason: LimitHit['reason'];
  key: string;
  limit: RateLimit;
}

/**
 * The start counters, most specific to the caller first: the client address, then this user from that
 * address, then this user from anywhere. The order is what keeps a password holder from locking the owner
 * out: an attempt refused by an earlier counter never reaches a later one, so an attacker's refused starts
 * spend only the attacker's own address's allowance, never the owner's.
 */
function startCounters(limits: ResolvedLimits, identity: string, ip: string): StartCounter[] {
  const counters: StartCounter[] = [];
  if (limits.perIp) counters.push({ reason: 'ip', key: `start:ip:${ip}`, limit: limits.perIp });
  if (limits.perUser) counters.push({ reason: 'user', key: `start:user-ip:${identity}:${ip}`, limit: limits.perUser });
  if (limits.perUserTotal) counters.push({ reason: 'userTotal', key: `start:user:${identity}`, limit: limits.perUserTotal });
  return counters;
}

function secondsUntil(resetAt: number, now: number): number {
  return Math.max(1, Math.ceil((resetAt - now) / 1000));
}

/**
 * Would a new start be refused by a start limit? Reads only, before any Twilio call: a stolen password must
 * not be enough to flood the user's phone (push fatigue) or spend the app's Twilio quota, and a refused
 * attempt spends no allowance at all.
 */
export async function startRefused(
  store: ChallengeStore,
  limits: ResolvedLimits,
  identity: string,
  ip: string,
  now: number,
): Promise<LimitHit | undefined> {
  const counters = startCounters(limits, identity, ip);
  // Read together: on a network store these are round trips, and a start should not pay for them one by one.
  const readings = await Promise.all(counters.map((counter) => store.count(counter.key)));
  for (const [i, counter] of counters.entries()) {
    const { count, resetAt } = readings[i]!;
    if (count >= counter.limit.max) return { reason: counter.reason, retryAfter: secondsUntil(resetAt, now) };
  }
  return undefined;
}

/** A push the phone has not answered yet, as the denial allowance sees it. */
export interface UnansweredPush {
  startedFrom: string | undefined;
  /** ms since epoch */
  expiresAt: number;
}

/**
 * Is this user out of denial allowance? Denials are counted when they are recorded (settle), across challenges,
 * so starting a new challenge never resets them; Retry-After is the real time left in the window.
 *
 * Pushes started from this address that the phone has not answered yet count as denials still to come: each
 * could be denied, so with the defaults no more than `denials.max` denied pushes get through from one address
 * however the starts are timed (one after another, or several before the phone answers any). Pushes from
 * other addresses are left out on purpose, so someone holding the password cannot, from their address, block
 * the owner's own sign-in from another one.
 */
export async function denialAllowanceUsed(
  store: ChallengeStore,
  limits: ResolvedLimits,
  identity: string,
  fromHere: readonly UnansweredPush[],
  now: number,
): Promise<LimitHit | undefined> {
  if (!limits.denials) return undefined;
  const { count, resetAt } = await store.count(denialKey(identity));
  if (count >= limits.denials.max) return { reason: 'denials', retryAfter: secondsUntil(resetAt, now) };
  if (count + fromHere.length < limits.denials.max) return undefined;
  const firstFree = Math.min(...fromHere.map((push) => push.expiresAt));
  return { reason: 'unanswered', retryAfter: secondsUntil(firstFree, now) };
}

/** A keyed digest of the client address, so records name where a push came from without holding the address. */
export function addressTag(ip: string, secret: string): string {
  return createHmac('sha256', secret).update(ip, 'utf8').digest('base64url').slice(0, 16);
}

/**
 * Spends one start from each counter, in order, stopping at the first one over its limit. Only a race (starts
 * arriving together after startRefused let them all through) can stop here, and then only the counters up to
 * the one that refused were spent: the caller's own address first.
 */
export async function spendStart(
  store: ChallengeStore,
  limits: ResolvedLimits,
  identity: string,
  ip: string,
  now: number,
): Promise<LimitHit | undefined> {
  const operationId = newOperationId();
  for (const counter of startCounters(limits, identity, ip)) {
    const { count, resetAt } = await store.increment(counter.key, counter.limit.windowSeconds * 1000, operationId);
    if (count > counter.limit.max) return { reason: counter.reason, retryAfter: secondsUntil(resetAt, now) };
  }
  return undefined;
}

/**
 * Counts one denial for the user; called by whoever records the denial. The challenge sid is the operation
 * id, so a challenge's denial counts once however often the increment is repeated.
 */
export async function countDenial(
  store: ChallengeStore,
  identity: string,
  challengeSid: string,
  windowSeconds: number | undefined,
): Promise<number> {
  const windowMs = windowSeconds === undefined ? DEFAULT_DENIAL_WINDOW_MS : windowSeconds * 1000;
  const { count } = await store.increment(denialKey(identity), windowMs, `denied:${challengeSid}`);
  return count;
}

/** The sentence a refused user reads: what happened and when to try again, in minutes. */
export function limitMessage(hit: LimitHit): string {
  const minutes = Math.max(1, Math.ceil(hit.retryAfter / 60));
  const when = `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  if (hit.reason === 'denials') return `Too many sign-in requests were denied on your phone. ${when}`;
  if (hit.reason === 'unanswered') {
    return `Sign-in requests you have not answered are still waiting on your phone: answer them there, or ${when.toLowerCase()}`;
  }
  return `Too many sign-in requests. ${when}`;
}
