/**
 * At most one push per login attempt, and no re-send beyond the allowance. From Twilio's side: no two
 * challenges carry one transaction id (a creation repeated after a lost answer would), every challenge was
 * created during a login attempt of its user, no attempt created more than one, and no challenge got more
 * than two re-sends (Twilio's three notifications, the first included). From the browser's side: two tabs
 * starting at once share the one push (neither is refused by a limit while the other pushes), and no more
 * than two "send it again" presses of one login were answered as sent. One exception, counted apart: of two
 * tabs starting at once, one failed ("try again") after Twilio had carried out its creation, and the other
 * then started its own push; the user saw that failure, so these are two starts.
 */
import { MAX_RESENDS } from '../../../src/http/resend.js';
import { isTransient, type AttemptRecord } from '../attempt.js';
import { pathChallenge } from '../truth.js';
import { creationTime, describe, withTrace, type CheckResult, type Evidence } from './evidence.js';

/** A two-tab start where one tab pushed and the other failed with a "try again" answer: two starts, two pushes. */
function tabFailedAfterTwilioActed(attempt: AttemptRecord, pushes: number): boolean {
  return pushes === 2 && attempt.tabStarts.length === 2 && attempt.tabStarts.some((reply) => reply.status === 202) && attempt.tabStarts.some(isTransient);
}

export function checkOnePush(evidence: Evidence): CheckResult {
  const violations: string[] = [];
  let secondTabPushes = 0;
  const { truth } = evidence;
  for (const [transactionId, challenges] of truth.byTransaction) {
    if (challenges.length > 1) violations.push(`transaction ${transactionId} was created ${challenges.length} times: ${challenges.map((c) => c.sid).join(', ')}`);
  }
  for (const stray of evidence.strayPushes) violations.push(`${stray.sid} (${stray.identity.slice(0, 8)}…) was created outside every login attempt of its user`);
  for (const attempt of evidence.attempts) {
    const pushes = evidence.pushes.get(attempt.plan.id) ?? [];
    if (pushes.length > 1 && tabFailedAfterTwilioActed(attempt, pushes.length)) {
      // One tab's start failed with an error after Twilio had carried out its creation (the answer was lost and
      // so was the look-up); the other tab, a start of its own, pushed again. In that tab the user saw an error.
      secondTabPushes += 1;
    } else if (pushes.length > 1) {
      const when = pushes.map((c) => `${c.sid} at +${creationTime(truth, c) - attempt.startedAt} ms`).join(', ');
      violations.push(withTrace(`${describe(attempt)}: ${pushes.length} pushes (${when})${attempt.plan.twoTabs ? ', from two tabs' : ''}`, attempt));
    }
    // Two tabs starting at once share one push: neither is refused by a limit while the other pushes.
    const tabs = attempt.tabStarts;
    if (tabs.some((reply) => reply.status === 202) && tabs.some((reply) => reply.code === 'RATE_LIMITED')) {
      const refused = tabs.find((reply) => reply.code === 'RATE_LIMITED')!;
      violations.push(withTrace(`${describe(attempt)}: one tab was refused "${refused.message}" while the other tab's start pushed`, attempt));
    }
    const sent = attempt.resends.filter((reply) => reply.status === 200).length;
    if (sent > MAX_RESENDS) violations.push(`${describe(attempt)}: ${sent} re-sends answered as sent`);
  }
  const notifications = new Map<string, number>();
  for (const call of truth.calls) {
    if (call.operation !== 'createNotification') continue;
    const sid = pathChallenge(call);
    if (sid !== undefined) notifications.set(sid, (notifications.get(sid) ?? 0) + 1);
  }
  for (const [sid, count] of notifications) {
    if (count > MAX_RESENDS) violations.push(`${sid}: ${count} re-send requests reached Twilio`);
  }
  const answers = new Map<string, number>();
  for (const reply of evidence.attempts.flatMap((attempt) => attempt.resends)) {
    const name = reply.status === 200 ? 'sent' : (reply.code ?? `HTTP ${reply.status}`);
    answers.set(name, (answers.get(name) ?? 0) + 1);
  }
  const pressed = [...answers].sort((a, b) => b[1] - a[1]).map(([name, count]) => `${name} ${count}`).join(', ');
  const pushed = evidence.attempts.filter((attempt) => (evidence.pushes.get(attempt.plan.id) ?? []).length > 0).length;
  return {
    name: 'at most one push per attempt, re-sends within the allowance',
    checked: evidence.attempts.length + notifications.size,
    violations,
    notes: [
      `${truth.challenges.size} challenges at Twilio for ${pushed} attempts${secondTabPushes ? ` (${secondTabPushes} pushed again by a second tab after the first tab's start failed once Twilio had acted)` : ''}; "send again" answered: ${pressed || 'never pressed'}; ${[...notifications.values()].reduce((a, b) => a + b, 0)} re-sends reached Twilio`,
    ],
  };
}
