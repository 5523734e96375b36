/** How each attempt's start went, as the limit checks need it: created a push, refused (and by what), or unknown. */
import type { AttemptRecord } from '../attempt.js';
import type { Evidence } from './evidence.js';

export type StartKind =
  | 'created'
  /** "Too many sign-in requests": a start limit (per address, per user and address, per user). */
  | 'refused-start'
  | 'refused-denials'
  /** Pushes from this address the phone has not answered count as denials to come. */
  | 'refused-unanswered'
  /** Another start of the same user held the start lock too long. */
  | 'refused-busy'
  /** The password step failed: nothing was started. */
  | 'not-started'
  /** Failed without a push at Twilio: it may or may not have spent a start. */
  | 'unknown';

export function startKind(evidence: Pick<Evidence, 'pushes'>, attempt: AttemptRecord): StartKind {
  if (attempt.start === undefined) return 'not-started';
  if ((evidence.pushes.get(attempt.plan.id) ?? []).length > 0) return 'created';
  if (attempt.start.code !== 'RATE_LIMITED') return 'unknown';
  const message = attempt.start.message ?? '';
  if (message.includes('denied on your phone')) return 'refused-denials';
  if (message.includes('not answered')) return 'refused-unanswered';
  if (message.includes('being sent')) return 'refused-busy';
  return 'refused-start';
}
