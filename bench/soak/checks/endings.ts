/**
 * Every attempt ends, in a login or a failure that says why (a code), by its challenge's expiry plus the
 * grace time; none is stuck. A failure without a code, or the app's own 500 (INTERNAL), is a violation too:
 * the user would be left with nothing to act on.
 */
import { describe, withTrace, type CheckResult, type Evidence } from './evidence.js';

/** An attempt that never got a challenge must still end: within this long of its start. */
const NO_CHALLENGE_BOUND_MS = 60_000;

export function checkEndings(evidence: Evidence): CheckResult {
  const violations: string[] = [];
  const { graceMs } = evidence.options;
  const codes = new Map<string, number>();
  let latestPastExpiry = 0;
  for (const attempt of evidence.attempts) {
    if (attempt.outcome === 'stuck') {
      violations.push(withTrace(`${describe(attempt)}: still undecided ${graceMs} ms past its expiry`, attempt));
      continue;
    }
    if (attempt.outcome === 'failure') {
      const code = attempt.code ?? 'none';
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (code.startsWith('HTTP_') || code === 'none') violations.push(withTrace(`${describe(attempt)}: failed with ${code}, no code in the answer`, attempt));
      if (code === 'INTERNAL') violations.push(withTrace(`${describe(attempt)}: the app answered 500 INTERNAL`, attempt));
    }
    const bound = attempt.pending ? attempt.pending.expiresAt + graceMs : attempt.startedAt + NO_CHALLENGE_BOUND_MS;
    if (attempt.endedAt > bound) violations.push(withTrace(`${describe(attempt)}: ended ${attempt.endedAt - bound} ms too late`, attempt));
    if (attempt.pending) latestPastExpiry = Math.max(latestPastExpiry, attempt.endedAt - attempt.pending.expiresAt);
  }
  const byCode = [...codes].sort((a, b) => b[1] - a[1]).map(([code, count]) => `${code} ${count}`);
  return {
    name: 'every attempt ends (login or coded failure) within expiry + grace',
    checked: evidence.attempts.length,
    violations,
    notes: [`failures by code: ${byCode.join(', ') || 'none'}`, `latest end past a challenge's expiry: ${latestPastExpiry} ms (grace ${graceMs} ms)`],
  };
}
