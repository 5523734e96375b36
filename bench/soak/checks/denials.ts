/**
 * Denials match what the phones did. Per user and Redis life: `onDenied` told each running count once
 * (1, 2, 3, … with no repeats and no gaps) with the configured limit, never more denials than the phone made,
 * and every denial the phone made was counted, unless a fault overlapped it. What Redis held at the end of
 * each life agrees, with no excuse: every challenge recorded as denied was counted once, and the counter says
 * what onDenied said. The denial limit held: no push went out after the limit was told, and no start was
 * refused for denials (or for unanswered pushes) the phone had not made (or left unanswered).
 */
import type { AttemptRecord } from '../attempt.js';
import type { DeniedEvent } from '../instance-config.js';
import { creationTime, describe, lifeAt, lifeOf, windowsDuring, type CheckResult, type Evidence } from './evidence.js';
import { startKind } from './starts.js';

interface PhoneDenial {
  attempt: AttemptRecord;
  at: number;
}

function group<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const list = groups.get(name) ?? [];
    list.push(item);
    groups.set(name, list);
  }
  return groups;
}

export function checkDenials(evidence: Evidence): CheckResult {
  const violations: string[] = [];
  const { max } = evidence.deployment.limits.denials;
  const lastLife = evidence.lives.length - 1;
  const denials: PhoneDenial[] = evidence.attempts
    .filter((attempt) => attempt.phone?.action === 'deny' && attempt.phone.ok)
    .map((attempt) => ({ attempt, at: attempt.phone!.at }));
  const told = evidence.events.filter((event): event is DeniedEvent => event.type === 'denied');
  const deniedBy = group(denials, (denial) => `${denial.attempt.identity} ${lifeAt(evidence, denial.at)}`);
  const toldBy = group(told, (event) => `${event.identity} ${lifeAt(evidence, event.at)}`);
  const identities = new Set([...denials.map((denial) => denial.attempt.identity), ...told.map((event) => event.identity)]);

  const excuses = new Map<string, number>();
  for (const identity of identities) {
    for (let life = 0; life <= lastLife; life += 1) {
      const made = deniedBy.get(`${identity} ${life}`) ?? [];
      const events = toldBy.get(`${identity} ${life}`) ?? [];
      const who = `${identity.slice(0, 8)}… (life ${life})`;
      const counts = events.map((event) => event.count).sort((a, b) => a - b);
      if (counts.some((count, index) => count !== index + 1)) violations.push(`${who}: onDenied counts ${counts.join(',')} are not 1..${counts.length}`);
      for (const event of events) if (event.limit !== max) violations.push(`${who}: onDenied told limit ${event.limit}, configured ${max}`);
      if (events.length > made.length) violations.push(`${who}: ${events.length} denials counted, the phone made ${made.length}`);
      const missing = made.length - events.length;
      if (missing > 0) {
        const excused = made.filter((denial) => windowsDuring(evidence, denial.at, denial.attempt.endedAt).length > 0);
        for (const denial of excused.slice(0, missing)) {
          for (const window of windowsDuring(evidence, denial.at, denial.attempt.endedAt)) excuses.set(window.kind, (excuses.get(window.kind) ?? 0) + 1);
        }
        if (excused.length < missing) violations.push(`${who}: the phone denied ${made.length} times, ${events.length} counted, no fault explains ${missing - excused.length}`);
      }
      const ledger = evidence.ledgers[life];
      if (ledger !== undefined) {
        const counted = ledger.counted.get(identity) ?? 0;
        const recorded = ledger.deniedRecords.get(identity) ?? 0;
        if (counted !== events.length) violations.push(`${who}: Redis counts ${counted} denials, onDenied told ${events.length}`);
        if (recorded !== counted) violations.push(`${who}: ${recorded} challenges recorded as denied, ${counted} denials counted`);
      }
    }
  }

  let refusals = 0;
  for (const attempt of evidence.attempts) {
    const kind = startKind(evidence, attempt);
    const life = lifeOf(evidence, attempt);
    if (life === undefined || attempt.start === undefined) continue;
    const madeBefore = (deniedBy.get(`${attempt.identity} ${life}`) ?? []).filter((denial) => denial.at < attempt.start!.at).length;
    if (kind === 'created') {
      const toldBefore = (toldBy.get(`${attempt.identity} ${life}`) ?? []).filter((event) => event.at < attempt.startedAt).length;
      if (toldBefore >= max) violations.push(`${describe(attempt)}: pushed after onDenied told ${toldBefore} denials (limit ${max})`);
    } else if (kind === 'refused-denials') {
      refusals += 1;
      if (madeBefore < max) violations.push(`${describe(attempt)}: refused for denials; the phone had denied ${madeBefore} (limit ${max})`);
    } else if (kind === 'refused-unanswered') {
      refusals += 1;
      const open = unansweredFromHere(evidence, attempt, life);
      if (madeBefore + open < max) violations.push(`${describe(attempt)}: refused for unanswered pushes; ${madeBefore} denials and ${open} open pushes from here (limit ${max})`);
    }
  }
  return {
    name: 'denial limit and onDenied match the phones',
    checked: denials.length + told.length,
    violations,
    notes: [
      `${denials.length} denials by the phones, onDenied told ${told.length}${excuses.size ? ` (uncounted ones overlapped ${[...excuses].map(([kind, count]) => `${kind} ${count}`).join(', ')})` : ''}; ${refusals} starts refused for denials`,
    ],
  };
}

/** Pushes of earlier attempts from the same user and address, in this Redis life, still open when this one started. */
function unansweredFromHere(evidence: Evidence, attempt: AttemptRecord, life: number): number {
  let open = 0;
  for (const other of evidence.attempts) {
    if (other === attempt || other.identity !== attempt.identity || other.plan.address !== attempt.plan.address) continue;
    for (const push of evidence.pushes.get(other.plan.id) ?? []) {
      const created = creationTime(evidence.truth, push);
      if (created >= attempt.start!.at || lifeAt(evidence, created) !== life || push.expiresAt < attempt.startedAt) continue;
      const answeredAt = other.phone?.ok && other.phone.transactionId === push.transactionId ? other.phone.at : undefined;
      if (answeredAt === undefined || answeredAt > attempt.startedAt) open += 1;
    }
  }
  return open;
}
