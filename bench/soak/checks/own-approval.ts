/**
 * No login without an approval of that session's own challenge, never as another user. Every login an
 * instance reported must belong to a known attempt of the same user, consume a challenge Twilio holds as
 * approved, of that user's identity, carrying the transaction id this browser was given, approved by this
 * login's phone before the login; an approval is consumed once and gives one login. The browser's side
 * agrees: a login it saw was reported, the protected page opens (unless a fault intervened) and names its own
 * user, and after logout it refuses.
 */
import type { LoginEvent, VerifiedEvent } from '../instance-config.js';
import { describe, windowsDuring, withTrace, type CheckResult, type Evidence } from './evidence.js';

function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const name = key(item);
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

export function checkOwnApproval(evidence: Evidence): CheckResult {
  const violations: string[] = [];
  const attempts = new Map(evidence.attempts.map((attempt) => [attempt.plan.id, attempt]));
  const logins = evidence.events.filter((event): event is LoginEvent => event.type === 'login');
  const verified = evidence.events.filter((event): event is VerifiedEvent => event.type === 'verified');

  for (const login of logins) {
    const attempt = login.attempt === undefined ? undefined : attempts.get(login.attempt);
    const where = `login of ${login.user} on ${login.instance} (attempt ${login.attempt ?? 'none'})`;
    if (attempt === undefined) {
      violations.push(`${where}: no such login attempt`);
      continue;
    }
    if (login.user !== attempt.plan.user.name) violations.push(withTrace(`${where}: logged in as ${login.user} in the browser of ${describe(attempt)}`, attempt));
    if (login.challengeSid === undefined) {
      violations.push(withTrace(`${where}: logged in without consuming an approved challenge`, attempt));
      continue;
    }
    const challenge = evidence.truth.challenges.get(login.challengeSid);
    const problems: string[] = [];
    if (challenge === undefined) problems.push('Twilio has no such challenge');
    else {
      if (challenge.identity !== attempt.identity) problems.push("the challenge is another user's");
      if (challenge.status !== 'approved') problems.push(`Twilio says ${challenge.status}`);
      if (challenge.transactionId !== attempt.pending?.transactionId) problems.push("it is not this session's challenge (transaction id)");
    }
    const phone = attempt.phone;
    const phoneApproved =
      phone !== undefined && phone.ok && phone.action !== 'deny' && (phone.challengeSid === login.challengeSid || phone.transactionId === challenge?.transactionId);
    if (!phoneApproved) problems.push(`this login's phone did not approve it (phone: ${phone === undefined ? 'nothing' : `${phone.action} ${phone.ok ? 'ok' : phone.error}`})`);
    else if (login.at < phone.sentAt) problems.push('the login came before the phone answered');
    if (!verified.some((event) => event.challengeSid === login.challengeSid && event.attempt === login.attempt)) {
      problems.push('no verify callback consumed it for this attempt');
    }
    if (problems.length > 0) violations.push(withTrace(`${where} with ${login.challengeSid}: ${problems.join('; ')}`, attempt));
  }

  for (const [sid, count] of countBy(verified, (event) => event.challengeSid)) {
    if (count > 1) violations.push(`approval of ${sid} consumed ${count} times`);
  }
  for (const [sid, count] of countBy(logins, (event) => event.challengeSid)) {
    if (count > 1) violations.push(`challenge ${sid} logged a session in ${count} times`);
  }
  const loginsPerAttempt = countBy(logins, (event) => event.attempt);
  for (const attempt of evidence.attempts) {
    const reported = loginsPerAttempt.get(attempt.plan.id) ?? 0;
    if (reported > 1) violations.push(withTrace(`${describe(attempt)}: ${reported} logins`, attempt));
    if (attempt.outcome === 'login' && reported === 0) violations.push(withTrace(`${describe(attempt)}: the browser was logged in, no instance reported it`, attempt));
    const page = attempt.page;
    if (page?.status === 200 && page.user !== attempt.plan.user.name) {
      violations.push(withTrace(`${describe(attempt)}: the protected page showed ${String(page.user)}`, attempt));
    }
    if (attempt.afterLogout?.status === 200) violations.push(withTrace(`${describe(attempt)}: still let in after logout`, attempt));
    // A browser that was logged in sees its page (both tabs' answers kept it logged in), unless a fault intervened.
    if (attempt.outcome === 'login' && page !== undefined && page.status !== 200 && windowsDuring(evidence, attempt.startedAt, page.at).length === 0) {
      violations.push(withTrace(`${describe(attempt)}: logged in, then the protected page answered ${page.status} ${page.code ?? ''}`, attempt));
    }
  }
  const pages = evidence.attempts.filter((attempt) => attempt.page?.status === 200).length;
  const refusedAfterLogout = evidence.attempts.filter((attempt) => attempt.afterLogout !== undefined && attempt.afterLogout.status !== 200).length;
  return {
    name: "logins only by the session's own approval, as its own user",
    checked: logins.length,
    violations,
    notes: [`${logins.length} logins reported, ${pages} protected pages shown, ${refusedAfterLogout} refusals after logout`],
  };
}
