/**
 * Nothing leaks. Once every login ended and the deployment went quiet: no waiting-page listener or watched
 * challenge is left in any instance's Redis store (RedisChallengeStore.stats()), no connection is open on any
 * instance, no more timers or sockets are active than before the first login, no instance crashed, and every
 * key left in Redis expires by itself (the table lists what remains, by kind, and for how long).
 */
import type { CheckResult, Evidence } from './evidence.js';

/** Why each kind of key outlives the logins, for the report. */
const WHY: Record<string, string> = {
  rec: 'challenge records, kept 15 min past expiry to answer late webhooks and replays',
  act: "each user's active challenge, as long as its record",
  sess: "sessions (connect-redis: the cookie's lifetime, 1 day by default)",
  'clm:webhook': 'webhook delivery ids, kept a day so a redelivery is recognised',
  'clm:poll': 'Twilio fetch leases of the last interval',
  'clm:denial-reported': 'onDenied told, once per denied challenge',
  'clm:start-lock': 'start locks a killed instance never released',
  'cnt:denied': 'denial counts, for the denial window',
  'cnt:resend': 're-sends of challenges still in their lifetime',
  'cnt:start:ip': 'start counts per address, for the limit window',
  'cnt:start:user': 'start counts per user, for the limit window',
  'cnt:start:user-ip': 'start counts per user and address, for the limit window',
};

/** Resource kinds compared with the baseline: timers and sockets (a listening server is a TCPServerWrap). */
const COMPARED = ['Timeout', 'TCPSocketWrap', 'Immediate'];

export function checkLeaks(evidence: Evidence): CheckResult {
  const violations: string[] = [];
  const { baseline, end, keys, crashes } = evidence.leaks;
  for (const crash of crashes) violations.push(`an instance exited by itself: ${crash}`);
  for (const stats of end) {
    const before = baseline.find((candidate) => candidate.name === stats.name);
    if (stats.watched.listeners !== 0 || stats.watched.watchedChallenges !== 0) {
      violations.push(`instance ${stats.name}: ${stats.watched.listeners} listeners on ${stats.watched.watchedChallenges} challenges left in the store`);
    }
    if (stats.connections !== 0) violations.push(`instance ${stats.name}: ${stats.connections} connections still open`);
    for (const kind of COMPARED) {
      const now = stats.resources[kind] ?? 0;
      const then = before?.resources[kind] ?? 0;
      if (now > then) violations.push(`instance ${stats.name}: ${now} ${kind} active, ${then} before the first login`);
    }
  }
  for (const group of keys) {
    if (group.withoutTtl > 0) violations.push(`${group.withoutTtl} Redis keys of kind ${group.kind} never expire`);
  }
  const remaining = keys.map((group) => `${group.kind} ${group.count} within ${Math.ceil(group.longestTtlMs / 60_000)} min: ${WHY[group.kind] ?? 'no known reason'}`);
  const resources = end.map((stats) => `${stats.name}: ${COMPARED.map((kind) => `${kind} ${stats.resources[kind] ?? 0}`).join(' ')}`);
  return {
    name: 'nothing leaks: listeners, connections, timers, sockets, keys',
    checked: end.length * (3 + COMPARED.length) + keys.length,
    violations,
    notes: [`keys left, each expiring by itself:${remaining.length ? `\n      ${remaining.join('\n      ')}` : ' none'}`, `active after the run: ${resources.join('; ')}`],
  };
}
