/**
 * What the run left behind, read once every login ended and the deployment went quiet: each instance's
 * waiting-page listeners, open connections and active handles (against the same figures before the first
 * login), and every key in Redis by kind, with whether it will expire by itself. Also the denial ledger of a
 * Redis life (read at the end, and just before the restart): per user, the challenges recorded as denied and
 * the denials counted, which must agree.
 */
import type { RedisClientType } from 'redis';
import { decodeRecord } from '../../src/stores/redis/record-codec.js';
import type { InstanceStats } from './instance-config.js';

export interface KeyGroup {
  kind: string;
  count: number;
  /** Keys that would stay forever (no TTL). */
  withoutTtl: number;
  longestTtlMs: number;
}

export interface LeakReport {
  baseline: InstanceStats[];
  end: InstanceStats[];
  keys: KeyGroup[];
  /** Instances that exited without being asked to. */
  crashes: string[];
}

/** What one Redis life holds about denials: read just before the restart, and after the run. */
export interface DenialLedger {
  /** identity → challenge records in status `denied`. */
  deniedRecords: Map<string, number>;
  /** identity → the `denied:<identity>` counter. */
  counted: Map<string, number>;
}

/** `soak:cnt:start:user-ip:…` → `cnt:start:user-ip`; `soak:sess:…` → `sess`. */
export function keyKind(key: string, prefix: string): string {
  const parts = key.slice(prefix.length).split(':');
  const [kind, sub, detail] = parts;
  if (kind === 'cnt' && sub === 'start') return `cnt:start:${detail}`;
  if (kind === 'cnt' || kind === 'clm') return `${kind}:${sub}`;
  return kind ?? key;
}

export async function scanKeys(admin: RedisClientType, prefix: string): Promise<KeyGroup[]> {
  const groups = new Map<string, KeyGroup>();
  for await (const batch of admin.scanIterator({ MATCH: '*', COUNT: 1000 })) {
    for (const key of batch) {
      const kind = key.startsWith(prefix) ? keyKind(key, prefix) : `(not ours) ${key}`;
      const group = groups.get(kind) ?? { kind, count: 0, withoutTtl: 0, longestTtlMs: 0 };
      const ttl = await admin.pTTL(key);
      group.count += 1;
      if (ttl < 0) group.withoutTtl += 1;
      else group.longestTtlMs = Math.max(group.longestTtlMs, ttl);
      groups.set(kind, group);
    }
  }
  return [...groups.values()].sort((a, b) => a.kind.localeCompare(b.kind));
}

function agrees(ledger: DenialLedger): boolean {
  const identities = new Set([...ledger.deniedRecords.keys(), ...ledger.counted.keys()]);
  return [...identities].every((identity) => (ledger.deniedRecords.get(identity) ?? 0) === (ledger.counted.get(identity) ?? 0));
}

/**
 * The ledger once it agrees, or as it stands after a few reads: while logins go on, a denial can be read between
 * its record's write and its count (two steps, a millisecond apart); a count that never comes stays missing.
 */
export async function readDenialLedger(admin: RedisClientType, prefix: string): Promise<DenialLedger> {
  let ledger = await readLedgerOnce(admin, prefix);
  for (let reads = 1; reads < 4 && !agrees(ledger); reads += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    ledger = await readLedgerOnce(admin, prefix);
  }
  return ledger;
}

async function readLedgerOnce(admin: RedisClientType, prefix: string): Promise<DenialLedger> {
  const deniedRecords = new Map<string, number>();
  const counted = new Map<string, number>();
  for await (const batch of admin.scanIterator({ MATCH: `${prefix}rec:*`, COUNT: 1000 })) {
    for (const key of batch) {
      const value = await admin.get(key);
      // Stored as `<deadline>|<record in the store's compact JSON>`.
      const record = value === null ? undefined : decodeRecord(key.slice(`${prefix}rec:`.length), value.slice(value.indexOf('|') + 1));
      if (record?.status === 'denied') deniedRecords.set(record.identity, (deniedRecords.get(record.identity) ?? 0) + 1);
    }
  }
  for await (const batch of admin.scanIterator({ MATCH: `${prefix}cnt:denied:*`, COUNT: 1000 })) {
    for (const key of batch) counted.set(key.slice(`${prefix}cnt:denied:`.length), Number(await admin.hGet(key, 'c')));
  }
  return { deniedRecords, counted };
}
