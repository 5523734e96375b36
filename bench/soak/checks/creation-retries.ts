/**
 * A challenge creation is repeated only when Twilio's answer proved it had not acted, and not before the
 * Retry-After it asked for. From the call log: every creation call that repeats an earlier one (the same
 * transaction id, so the same start) follows an answer with a status (429 or 5xx), never a dropped or hung
 * call whose outcome nobody knows; and after a 429 it waits at least the Retry-After the fault gave.
 */
import type { CallRecord } from '../../../src/testing/index.js';
import { retryAfterOf } from '../twilio-faults.js';
import type { CheckResult, Evidence } from './evidence.js';

function proves(call: CallRecord): boolean {
  return call.status === 429 || call.status >= 500;
}

export function checkCreationRetries(evidence: Evidence): CheckResult {
  const violations: string[] = [];
  let repeats = 0;
  for (const [transactionId, calls] of evidence.truth.creationsByTransaction) {
    const ordered = [...calls].sort((a, b) => a.at - b.at);
    for (let i = 1; i < ordered.length; i += 1) {
      const before = ordered[i - 1]!;
      const again = ordered[i]!;
      repeats += 1;
      if (!proves(before)) {
        violations.push(`transaction ${transactionId}: created again after a call answered ${before.status || 'nothing'} (${before.fault ?? 'no fault'})`);
      }
      const wait = retryAfterOf(before);
      if (wait !== undefined && again.at - before.at < wait * 1000) {
        violations.push(`transaction ${transactionId}: created again ${again.at - before.at} ms after a 429 asking for ${wait} s`);
      }
    }
  }
  return {
    name: 'a creation is repeated only after a 429/5xx, after Retry-After',
    checked: evidence.truth.creationsByTransaction.size,
    violations,
    notes: [`${repeats} creations repeated after a refusal`],
  };
}
