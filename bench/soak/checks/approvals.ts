/**
 * An approved challenge whose login no fault blocked ends in a login. For every attempt whose phone approved
 * the session's own challenge (tapping it, or silently by transaction id), the attempt must end in a login,
 * unless an infrastructure fault (Redis stopped or restarted, an instance killed) overlapped it. Twilio
 * faults and lost, doubled or late webhooks are no excuse: the fallback fetches have many chances before
 * the expiry. Prints the share of approvals the faults prevented, by cause.
 */
import { describe, windowsDuring, withTrace, type CheckResult, type Evidence } from './evidence.js';

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
      // The phone approved the newest pending request and it was not this login's: nothing this login waits for.
      foreign += 1;
      violations.push(withTrace(`${describe(attempt)}: the newest request on the phone was not this login's (${phone.challengeSid})`, attempt));
      continue;
    }
    approved += 1;
    if (attempt.outcome === 'login') continue;
    const windows = windowsDuring(evidence, attempt.startedAt, attempt.endedAt);
    if (windows.length === 0) {
      violations.push(withTrace(`${describe(attempt)}: approved at +${phone.at - attempt.startedAt} ms, ended ${attempt.outcome} ${attempt.code ?? ''} with no fault to blame`, attempt));
      continue;
    }
    prevented += 1;
    const cause = `${[...new Set(windows.map((window) => window.kind))].join('+')} → ${attempt.code ?? attempt.outcome}`;
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
  }
  const share = approved === 0 ? 0 : (100 * prevented) / approved;
  const byCause = [...causes].sort((a, b) => b[1] - a[1]).map(([cause, count]) => `${cause} ${count}`);
  return {
    name: 'an approval ends in a login unless a fault blocked it',
    checked: approved + foreign,
    violations,
    notes: [`faults prevented ${prevented} of ${approved} approved logins (${share.toFixed(1)} %)${byCause.length ? `: ${byCause.join(', ')}` : ''}`],
  };
}
