/**
 * Everything the checks read, gathered once after the run: the attempts as the browsers saw them, the
 * instances' reports, the fault windows, what Twilio knows, what was left behind; plus the derived facts
 * several checks share: which challenges each attempt's start created, and the Redis "lives" (a restart
 * empties Redis, so counters and records start again from nothing).
 */
import type { AttemptRecord } from '../attempt.js';
import type { FaultWindow } from '../chaos.js';
import type { SoakDeployment } from '../deployment.js';
import type { InstanceEvent } from '../instance-config.js';
import type { DenialLedger, LeakReport } from '../leftovers.js';
import type { SoakOptions } from '../options.js';
import type { Truth, TwilioChallenge } from '../truth.js';

export interface CheckResult {
  name: string;
  /** How many things the check looked at (logins, challenges, counters, …). */
  checked: number;
  violations: string[];
  /** Figures worth printing beside the verdict. */
  notes: string[];
}

export interface Evidence {
  options: SoakOptions;
  deployment: SoakDeployment;
  attempts: AttemptRecord[];
  events: InstanceEvent[];
  windows: FaultWindow[];
  truth: Truth;
  leaks: LeakReport;
  /** What each Redis life held about denials at its end (just before the restart, and after the run), by life. */
  ledgers: DenialLedger[];
  /** Derived: the challenges each attempt's start created at Twilio, by attempt id. */
  pushes: Map<string, TwilioChallenge[]>;
  /** Derived: challenges created outside every attempt of their user. */
  strayPushes: TwilioChallenge[];
  /** Derived: when each Redis life began (0 for the first; then each restart). */
  lives: number[];
}

/** A window of slack around fault windows: clients reconnect up to half a second late, a request takes a while. */
export const WINDOW_SLACK_MS = 3000;

/** Which Redis life a moment belongs to. */
export function lifeAt(evidence: Pick<Evidence, 'lives'>, at: number): number {
  let life = 0;
  for (let i = 1; i < evidence.lives.length; i += 1) if (at >= evidence.lives[i]!) life = i;
  return life;
}

/** The attempt lived in one Redis life from its password to its end. */
export function lifeOf(evidence: Pick<Evidence, 'lives'>, attempt: AttemptRecord): number | undefined {
  const first = lifeAt(evidence, attempt.startedAt);
  return first === lifeAt(evidence, attempt.endedAt) ? first : undefined;
}

/** Infrastructure faults whose window (with slack) overlaps [from, to]. */
export function windowsDuring(evidence: Pick<Evidence, 'windows'>, from: number, to: number): FaultWindow[] {
  return evidence.windows.filter((window) => window.from <= to && window.to + WINDOW_SLACK_MS >= from);
}

/** When the creation call of a challenge arrived (the earliest call carrying its transaction id). */
export function creationTime(truth: Truth, challenge: TwilioChallenge): number {
  const calls = challenge.transactionId === undefined ? [] : (truth.creationsByTransaction.get(challenge.transactionId) ?? []);
  return calls.length === 0 ? challenge.dateCreated : Math.min(...calls.map((call) => call.at));
}

/** Matches every Twilio challenge to the attempt of its user during which it was created. */
export function matchPushes(attempts: readonly AttemptRecord[], truth: Truth): Pick<Evidence, 'pushes' | 'strayPushes'> {
  const byIdentity = new Map<string, AttemptRecord[]>();
  for (const attempt of attempts) {
    const list = byIdentity.get(attempt.identity) ?? [];
    list.push(attempt);
    byIdentity.set(attempt.identity, list);
  }
  const pushes = new Map<string, TwilioChallenge[]>();
  const strayPushes: TwilioChallenge[] = [];
  for (const challenge of truth.challenges.values()) {
    const at = creationTime(truth, challenge);
    const owner = (byIdentity.get(challenge.identity) ?? []).find((attempt) => attempt.startedAt <= at && at <= attempt.endedAt);
    if (owner === undefined) {
      strayPushes.push(challenge);
      continue;
    }
    const list = pushes.get(owner.plan.id) ?? [];
    list.push(challenge);
    pushes.set(owner.plan.id, list);
  }
  return { pushes, strayPushes };
}

export function describe(attempt: AttemptRecord): string {
  const { plan } = attempt;
  return `${plan.id} (${plan.user.name} from ${plan.address}, ${plan.startVia}→${plan.wait}→${plan.completeVia}, phone ${plan.phone})`;
}

/** A violation line with the attempt's request trace, so it can be read without rerunning. */
export function withTrace(text: string, attempt: AttemptRecord): string {
  return `${text}\n      ${attempt.trace.slice(-12).join('\n      ')}`;
}
