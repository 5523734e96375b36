/**
 * What the run left behind, read once every login ended and the deployment went quiet: each instance's
 * waiting-page listeners, open connections and active handles (against the same figures before the first
 * login), and every key in Redis by kind, with whether it will expire by itself. Also the denial counters,
 * which the denial check compares with what the phones did.
 */
import type { RedisClientType } from 'redis';
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
  /** `denied:<identity>` counters now in Redis: identity → count. */
  deniedCounters: Map<string, number>;
  /** Instances that exited without being asked to. */
  crashes: string[];
}

/** `soak:cnt:start:user-ip:…` → `cnt:start:user-ip`; `soak:sess:…` → `sess`. */
export function keyKind(key: string, prefix: string): string {
  const parts = key.slice(prefix.length).split(':');
  const [kind, sub, detail] = parts;
  if (kind === 'cnt' && sub === 'start') return `cnt:start:${detail}`;
  if (kind === 'cnt' || kind === 'clm') return `${kind}:${sub}`;
  return kind ?? key;
}

export async function scanKeys(admin: RedisClientType, prefix: string): Promise<{ keys: KeyGroup[]; deniedCounters: Map<string, number> }> {
  const groups = new Map<string, KeyGroup>();
  const deniedCounters = new Map<string, number>();
  for await (const batch of admin.scanIterator({ MATCH: '*', COUNT: 1000 })) {
    for (const key of batch) {
      const kind = key.startsWith(prefix) ? keyKind(key, prefix) : `(not ours) ${key}`;
      const group = groups.get(kind) ?? { kind, count: 0, withoutTtl: 0, longestTtlMs: 0 };
      const ttl = await admin.pTTL(key);
      group.count += 1;
      if (ttl < 0) group.withoutTtl += 1;
      else group.longestTtlMs = Math.max(group.longestTtlMs, ttl);
      groups.set(kind, group);
      if (kind === 'cnt:denied') {
        const identity = key.slice(`${prefix}cnt:denied:`.length);
        deniedCounters.set(identity, Number(await admin.hGet(key, 'c')));
      }
    }
  }
  return { keys: [...groups.values()].sort((a, b) => a.kind.localeCompare(b.kind)), deniedCounters };
}
