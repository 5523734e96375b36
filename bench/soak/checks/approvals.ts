/**
 * An approved challenge whose login no fault blocked ends in a login. For every attempt whose phone approved
 * the session's own challenge (tapping it, or silently by transaction id), the attempt must end in a login,
 * unless an infrastructure fault overlapped it and the way it ended is one that fault can cause: a lost
 * session after a Redis restart or a session regenerated while Redis or the instance failed (password asked
 * again), an approval consumed by a request that then failed (already used), or an error answer. Twilio faults
 * and lost, doubled or late webhooks are never an excuse: the fallback fetches have many chances before the
 * expiry; and no fault excuses an approved login ending expired, denied or superseded. Prints the share of
 * approvals the faults prevented, by cause.
 */
import { TRANSIENT_CODES } from '../attempt.js';
import type { FaultWindow } from '../chaos.js';
import { describe, windowsDuring, withTrace, type CheckResult, type Evidence } from './evidence.js';

/** The session is gone (or was regenerated and not saved): the user is asked for the password again. */
const SESSION_LOST = ['FIRST_FACTOR_REQUIRED', 'LOGIN_REQUIRED'];

/** How an approved login may end when each infrastructure fault overlaps it. */
const EXCUSABLE: Record<FaultWindow['kind'], ReadonlySet<string>> = {
  // Every key is gone: the session, or (with a session kept elsewhere) the challenge record.
  'redis-restart': new Set([...SESSION_LOST, 'CHALLENGE_MISMATCH', ...TRANSIENT_CODES]),
  // The approval was consumed and the login's session writes failed; or the session was lost midway.
  'redis-pause': new Set([...SESSION_LOST, 'CHALLENGE_ALREADY_USED', ...TRANSIENT_CODES]),
  // The instance died between consuming the approval and the login, or between two session writes.
  'instance-kill': new Set([...SESSION_LOST, 'CHALLENGE_ALREADY_USED', ...TRANSIENT_CODES]),
};

export function checkApprovals(evidence: Evidence): CheckResult {
  const violations: string[] = [];
  const causes = new Map<string, number>();
  let approved = 0;
  let prevented = 0;
  let foreign = 0;
  for (const attempt of evidence.attempts) {
    const { phone, pending } = attempt;
    if (phone === undefined || !phone.ok || phone.action === 'deny' || pending === undefined) continue;
    if (phone.transactionId !== pending.transactionId) {
      // The newest request on the phone was not this login's: a creation Twilio carried out after the app had
      // given up on it (a slow answer past the request timeout) can land after a later login's push. The user
      // approved something else; this login has no approval to lose. (Two pushes for one attempt would be the
      // one-push check's violation.)
      foreign += 1;
      continue;
    }
    approved += 1;
    if (attempt.outcome === 'login') continue;
    const code = attempt.code ?? attempt.outcome;
    const windows = windowsDuring(evidence, attempt.startedAt, attempt.endedAt).filter((window) => EXCUSABLE[window.kind].has(code));
    if (windows.length === 0) {
      violations.push(withTrace(`${describe(attempt)}: approved at +${phone.at - attempt.startedAt} ms, ended ${attempt.outcome} ${attempt.code ?? ''} with no fault to blame`, attempt));
      continue;
    }
    prevented += 1;
    const cause = `${[...new Set(windows.map((window) => window.kind))].join('+')} → ${code}`;
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
  }
  const share = approved === 0 ? 0 : (100 * prevented) / approved;
  const byCause = [...causes].sort((a, b) => b[1] - a[1]).map(([cause, count]) => `${cause} ${count}`);
  return {
    name: 'an approval ends in a login unless a fault blocked it',
    checked: approved + foreign,
    violations,
    notes: [
      `faults prevented ${prevented} of ${approved} approved logins (${share.toFixed(1)} %)${byCause.length ? `: ${byCause.join(', ')}` : ''}${foreign ? `; ${foreign} taps approved another login's request` : ''}`,
    ],
  };
}
