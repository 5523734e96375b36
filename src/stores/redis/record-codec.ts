import type { ChallengeRecord } from '../types.js';

/**
 * How a record is written in Redis: JSON with one- or two-letter names, and without the challenge sid (it is
 * in the key). Thousands of pending logins live in Redis at once, and Redis allocates in size classes, so a
 * record that fits a smaller class saves a whole class (the target is 2 KiB per pending login, all keys
 * included). The Lua scripts read `s` (status) and `w` (writeId) by these names.
 */
const SHORT: Readonly<Record<Exclude<keyof ChallengeRecord, 'challengeSid'>, string>> = {
  serviceSid: 'v',
  identity: 'i',
  factorSid: 'f',
  transactionId: 't',
  matchCode: 'm',
  status: 's',
  createdAt: 'c',
  expiresAt: 'e',
  settledAt: 'a',
  completedAt: 'd',
  denialCounted: 'n',
  earlierUnanswered: 'u',
  startedFrom: 'o',
  startedBy: 'b',
  purpose: 'p',
  actionDigest: 'g',
  returnTo: 'r',
  message: 'x',
  fields: 'l',
  writeId: 'w',
};

const LONG: ReadonlyMap<string, keyof ChallengeRecord> = new Map(
  Object.entries(SHORT).map(([long, short]) => [short, long as keyof ChallengeRecord]),
);

export function encodeRecord(record: ChallengeRecord): string {
  const compact: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (name === 'challengeSid' || value === undefined) continue;
    const short = SHORT[name as keyof typeof SHORT];
    // A field this codec does not know (a newer record shape) keeps its own name rather than being lost.
    compact[short ?? name] = name === 'fields' ? (value as Array<{ label: string; value: string }>).map((f) => [f.label, f.value]) : value;
  }
  return JSON.stringify(compact);
}

export function decodeRecord(challengeSid: string, json: string): ChallengeRecord {
  const compact = JSON.parse(json) as Record<string, unknown>;
  const record: Record<string, unknown> = { challengeSid };
  for (const [name, value] of Object.entries(compact)) {
    const long = LONG.get(name) ?? name;
    record[long] = long === 'fields' ? (value as Array<[string, string]>).map(([label, text]) => ({ label, value: text })) : value;
  }
  return record as unknown as ChallengeRecord;
}
