/**
 * Start limits match what the browsers did. Per Redis life (a restart empties the counters), per counter (the
 * address, the user from that address, the user from anywhere): no attempt created a push once earlier
 * attempts had certainly spent the limit, and no attempt was refused "Too many sign-in requests" unless
 * earlier attempts could have spent some counter of it up to the limit. Attempts that span the restart are
 * left out (which life they spent in is unknowable).
 */
import type { AttemptRecord } from '../attempt.js';
import type { Limit } from '../deployment.js';
import { describe, lifeAt, lifeOf, withTrace, type CheckResult, type Evidence } from './evidence.js';
import { startKind, type StartKind } from './starts.js';

interface Counter {
  name: string;
  key: (attempt: AttemptRecord) => string;
  limit: Limit;
}

/** Kinds that may have spent a start: the push went out, the outcome is unknown, or spending was refused midway. */
const MAY_HAVE_SPENT: ReadonlySet<StartKind> = new Set(['created', 'unknown', 'refused-start']);

export function checkStartLimits(evidence: Evidence): CheckResult {
  const { limits } = evidence.deployment;
  const counters: Counter[] = [
    { name: 'per address', key: (a) => a.plan.address, limit: limits.perIp },
    { name: 'per user and address', key: (a) => `${a.identity} ${a.plan.address}`, limit: limits.perUser },
    { name: 'per user', key: (a) => a.identity, limit: limits.perUserTotal },
  ];
  const violations: string[] = [];
  const kinds = new Map(evidence.attempts.map((attempt) => [attempt.plan.id, startKind(evidence, attempt)]));
  const started = evidence.attempts.filter((attempt) => attempt.start !== undefined);
  let checked = 0;
  let refusals = 0;
  for (const attempt of started) {
    const kind = kinds.get(attempt.plan.id)!;
    if (kind !== 'created' && kind !== 'refused-start') continue;
    const life = lifeOf(evidence, attempt);
    if (life === undefined) continue;
    checked += 1;
    if (kind === 'refused-start') refusals += 1;
    const reached: string[] = [];
    for (const counter of counters) {
      const key = counter.key(attempt);
      const same = started.filter((other) => other !== attempt && counter.key(other) === key);
      const certainly = same.filter(
        (other) => kinds.get(other.plan.id) === 'created' && lifeOf(evidence, other) === life && other.start!.at < attempt.startedAt,
      ).length;
      // A login started from two tabs may have spent two starts (one tab failed after spending, the other spent again).
      const possibly = same
        .filter(
          (other) =>
            MAY_HAVE_SPENT.has(kinds.get(other.plan.id)!) &&
            lifeAt(evidence, other.startedAt) <= life &&
            lifeAt(evidence, other.endedAt) >= life &&
            other.startedAt < attempt.start!.at,
        )
        .reduce((sum, other) => sum + (other.plan.twoTabs ? 2 : 1), 0);
      if (kind === 'created' && certainly >= counter.limit.max) {
        violations.push(`${describe(attempt)}: pushed after ${certainly} starts ${counter.name} (limit ${counter.limit.max})`);
      }
      // A login started from two tabs may have spent one start in the tab whose answer is not the one kept.
      const ownOtherTab = attempt.plan.twoTabs ? 1 : 0;
      if (possibly + ownOtherTab >= counter.limit.max) reached.push(counter.name);
    }
    if (kind === 'refused-start' && reached.length === 0) {
      violations.push(withTrace(`${describe(attempt)}: refused "${attempt.start!.message}" with every start counter below its limit`, attempt));
    }
  }
  return {
    name: 'start limits hold, and refuse only at the limit',
    checked,
    violations,
    notes: [
      `${refusals} starts refused by a start limit (per address ${limits.perIp.max}, per user and address ${limits.perUser.max}, per user ${limits.perUserTotal.max})`,
    ],
  };
}
