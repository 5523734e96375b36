/**
 * Bytes per pending login in Redis: RECORDS pending logins written through RedisChallengeStore as the strategy
 * writes them (bench/support/pending-login.ts: the record with what the phone shows, the active pointer, the
 * three start counters, a poll lease; six keys), measured as the change of Redis' `used_memory` (INFO memory:
 * every byte Redis allocated, the keyspace's hash tables included) between an emptied server and the same
 * server holding them, once its incremental rehashing has settled. Also printed: where the bytes go — each
 * kind of key's `MEMORY USAGE` (key, value and its allocation overhead) over a sample, and the keyspace tables
 * from `MEMORY STATS`. TRIALS trials on the same server (FLUSHALL between), the median reported.
 *
 * Cross-check: one real pending login made through the strategy (first factor, push start, one poll) on the
 * same server, its keys and their MEMORY USAGE, so the synthetic login can be compared with the real thing.
 * Baseline in the same run: the same logins in a MemoryChallengeStore, heap delta between full garbage
 * collections (needs --expose-gc; re-runs itself with it when missing). Target: ≤ 2 KiB per pending login.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MemoryChallengeStore } from '../src/index.js';
import { RedisChallengeStore } from '../src/stores/redis/index.js';
import { VerifyPushEmulator } from '../src/testing/index.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { keepAliveAgent } from './support/http.js';
import { Browser } from './support/login-client.js';
import { writePendingLogins } from './support/pending-login.js';
import { identityOf, startPushApp } from './support/push-app.js';
import { closeAppClient, connectAppClient, info as redisInfo, usedMemory, type AppRedisClient } from './support/redis-client.js';
import { detail, heading, info, result } from './support/report.js';
import { fixed, mean, median } from './support/stats.js';

const RECORDS = 10_000;
const TRIALS = 3;
const PARALLEL = 32;
const SAMPLE = 200;
const TARGET_BYTES = 2048;
const PREFIX = 'verify-push:';
/** Key kinds, by what follows the prefix. */
const KINDS = ['rec:', 'act:', 'cnt:start:ip:', 'cnt:start:user-ip:', 'cnt:start:user:', 'clm:poll:'] as const;
/** Long enough for Redis' cron (10 Hz) to finish rehashing a grown keyspace table and free the old one. */
const SETTLE_MS = 500;

/** What the poll lease would be for a page polling every 2 s without a webhook, and with the webhook fallback (15 s). */
const POLL_INTERVALS_MS = [2_000, 15_000] as const;

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * jemalloc's size class for an allocation of `bytes` (Redis counts allocations at their class size): 8, 16,
 * then four classes per doubling (…, 512, 640, 768, 896, 1024, …).
 */
function jemallocClass(bytes: number): number {
  if (bytes <= 8) return 8;
  if (bytes <= 16) return 16;
  const group = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = Math.max(16, group / 4);
  return Math.ceil(bytes / step) * step;
}

/** The next smaller jemalloc class. */
function classBelow(size: number): number {
  let bytes = size - 1;
  while (jemallocClass(bytes) === size) bytes -= 1;
  return jemallocClass(bytes);
}

/** Bytes Redis allocates for a string value of `length` bytes (raw encoding: an sds header and a NUL, then the class). */
function stringAllocation(length: number): number {
  const header = length < 256 ? 3 : length < 65_536 ? 5 : 9;
  return jemallocClass(length + header + 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function command(client: AppRedisClient, args: string[]): Promise<unknown> {
  return client.sendCommand(args);
}

/** Up to `count` keys matching `pattern` (SCAN, never KEYS). */
async function someKeys(client: AppRedisClient, pattern: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await command(client, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [string, string[]];
    cursor = String(next);
    keys.push(...batch.map(String));
  } while (cursor !== '0' && keys.length < count);
  return keys.slice(0, count);
}

async function memoryUsage(client: AppRedisClient, key: string): Promise<number> {
  // SAMPLES 0: every field of a hash is counted, not an estimate.
  return Number(await command(client, ['MEMORY', 'USAGE', key, 'SAMPLES', '0']));
}

/** Bytes of the keyspace's hash tables (keys and expiry deadlines) in db 0, from MEMORY STATS. */
async function keyspaceTables(client: AppRedisClient): Promise<number> {
  const reply = (await command(client, ['MEMORY', 'STATS'])) as unknown;
  // RESP2 answers a flat [name, value, …] list, RESP3 a map (an object or a Map, by client version).
  const entries = (value: unknown): Array<[string, unknown]> => {
    if (value instanceof Map) return [...value].map(([k, v]) => [String(k), v]);
    if (Array.isArray(value)) {
      const pairs: Array<[string, unknown]> = [];
      for (let i = 0; i + 1 < value.length; i += 2) pairs.push([String(value[i]), value[i + 1]]);
      return pairs;
    }
    if (typeof value === 'object' && value !== null) return Object.entries(value);
    return [];
  };
  const db0 = entries(reply).find(([name]) => name === 'db.0')?.[1];
  return entries(db0).reduce((sum, [, bytes]) => sum + Number(bytes), 0);
}

interface RedisTrial {
  /** Length of one stored record value (`<deadline>|<JSON>`). */
  recordLength: number;
  usedPerLogin: number;
  datasetPerLogin: number;
  tablesPerLogin: number;
  keys: number;
  usageByKind: Map<string, number>;
}

async function redisTrial(client: AppRedisClient, store: RedisChallengeStore): Promise<RedisTrial> {
  await command(client, ['FLUSHALL', 'SYNC']);
  await sleep(SETTLE_MS);
  const before = await redisInfo(client, 'memory');
  const tablesBefore = await keyspaceTables(client);
  await writePendingLogins(store, 0, RECORDS, PARALLEL);
  await sleep(SETTLE_MS);
  const after = await redisInfo(client, 'memory');
  const tablesAfter = await keyspaceTables(client);
  const keys = Number(await command(client, ['DBSIZE']));
  const usageByKind = new Map<string, number>();
  for (const kind of KINDS) {
    const sample = await someKeys(client, `${PREFIX}${kind}*`, SAMPLE);
    const usages: number[] = [];
    for (const key of sample) usages.push(await memoryUsage(client, key));
    usageByKind.set(kind, mean(usages));
  }
  const [recordKey] = await someKeys(client, `${PREFIX}rec:*`, 1);
  const recordLength = Number(await command(client, ['STRLEN', recordKey ?? '']));
  const delta = (field: string): number => (Number(after.get(field)) - Number(before.get(field))) / RECORDS;
  return {
    recordLength,
    usedPerLogin: delta('used_memory'),
    datasetPerLogin: delta('used_memory_dataset'),
    tablesPerLogin: (tablesAfter - tablesBefore) / RECORDS,
    keys,
    usageByKind,
  };
}

function heapAfterGc(collect: () => void): number {
  // Twice: the first pass may only promote what a second one then frees.
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

async function memoryStoreTrial(collect: () => void): Promise<number> {
  const store = new MemoryChallengeStore({ sweepIntervalMs: 0 });
  const start = heapAfterGc(collect);
  await writePendingLogins(store, 0, RECORDS, 1);
  const perLogin = (heapAfterGc(collect) - start) / RECORDS;
  if (store.stats().records !== RECORDS) throw new Error('the memory store does not hold what was written');
  await store.close();
  return perLogin;
}

/** One pending login made by the strategy itself, in its own key prefix: its keys and their MEMORY USAGE. */
async function realPendingLogin(client: AppRedisClient, redisUrl: string): Promise<Array<{ key: string; bytes: number; length: number }>> {
  const prefix = 'real-login:';
  const emulator = await VerifyPushEmulator.start();
  const appClient = await connectAppClient(redisUrl);
  const store = await RedisChallengeStore.create({ client: appClient, prefix });
  const agent = keepAliveAgent(2);
  const user = { id: 'real-user' };
  const serviceSid = await emulator.createService('bench pending memory');
  await emulator.device().register({ serviceSid, identity: identityOf(user) });
  const app = await startPushApp({ client: emulator.client(), authToken: emulator.authToken, serviceSid, users: [user], webhook: false, store, limits: { perIp: { max: 100 } } });
  try {
    const browser = new Browser({ agent, port: app.port });
    await browser.firstFactor(user.id);
    await browser.start('/login/push');
    const poll = await browser.post('/login/push');
    if (poll.status !== 202) throw new Error(`the pending poll answered ${poll.status}`);
    const keys = (await someKeys(client, `${prefix}*`, 100)).sort();
    const rows = [];
    for (const key of keys) {
      const value = (await command(client, ['TYPE', key])) === 'string' ? String(await command(client, ['GET', key])) : '';
      rows.push({ key: key.slice(prefix.length), bytes: await memoryUsage(client, key), length: value.length });
    }
    return rows;
  } finally {
    agent.destroy();
    await app.close();
    await store.close();
    closeAppClient(appClient);
    await emulator.close();
  }
}

async function main(collect: () => void): Promise<void> {
  heading('Bytes per pending login in Redis');
  const redis = await startRedis();
  const client = await connectAppClient(redis.url);
  const store = await RedisChallengeStore.create({ client });
  try {
    detail(`${redis.version.split(' ').slice(0, 3).join(' ')}; ${RECORDS} pending logins per trial (6 keys each), ${TRIALS} trials, median; ${PARALLEL} written at a time`);
    const real = await realPendingLogin(client, redis.url);
    detail(`one real pending login through the strategy (start + one poll), MEMORY USAGE per key, ${real.reduce((s, r) => s + r.bytes, 0)} B in all:`);
    for (const row of real) detail(`    ${fixed(row.bytes, 0).padStart(5)} B  ${row.key.replace(/:[^:]{20,}/g, ':…')}${row.length ? ` (value ${row.length} chars)` : ''}`);

    // Warm-up: loads the scripts and grows Redis' own structures before anything is measured.
    await writePendingLogins(store, 0, 500, PARALLEL);
    const trials: RedisTrial[] = [];
    for (let i = 0; i < TRIALS; i += 1) trials.push(await redisTrial(client, store));
    for (const t of trials) if (t.keys !== RECORDS * KINDS.length) throw new Error(`expected ${RECORDS * KINDS.length} keys, Redis holds ${t.keys}`);

    const used = median(trials.map((t) => t.usedPerLogin));
    const dataset = median(trials.map((t) => t.datasetPerLogin));
    const tables = median(trials.map((t) => t.tablesPerLogin));
    detail(`used_memory delta: ${trials.map((t) => fixed(t.usedPerLogin, 0)).join(' / ')} B/login; of which dataset ${fixed(dataset, 0)} B, keyspace tables ${fixed(tables, 0)} B`);
    const last = trials.at(-1) as RedisTrial;
    let usageSum = 0;
    for (const kind of KINDS) {
      const bytes = last.usageByKind.get(kind) ?? Number.NaN;
      usageSum += bytes;
      detail(`    MEMORY USAGE ${kind.padEnd(20)} ${fixed(bytes, 0).padStart(5)} B (mean of ${SAMPLE})`);
    }
    detail(`    MEMORY USAGE, six keys of one login   ${fixed(usageSum, 0).padStart(5)} B (+ keyspace tables and expiry entries: used_memory ${fixed(used, 0)} B)`);
    // The record is the one big allocation: how close it sits to a jemalloc class boundary decides a lot.
    const allocation = stringAllocation(last.recordLength);
    const below = classBelow(allocation);
    detail(
      `    record value ${last.recordLength} chars → ${allocation} B allocation (jemalloc class); ` +
        `${last.recordLength - (below - 6)} chars more than fit the ${below} B class below`,
    );
    // Poll leases are one key per fetch interval, and Redis keeps each for its logical life plus the store's
    // garbage slack: a page polled through its whole life holds several at once, not the one counted above.
    // A lease's cost: its MEMORY USAGE plus the per-key share of what MEMORY USAGE leaves out (expiry entry, tables).
    const leaseBytes = (last.usageByKind.get('clm:poll:') ?? Number.NaN) + (used - usageSum) / KINDS.length;
    const probeKey = `probe:${Date.now()}`;
    await store.claim(probeKey, 2_000, 'probe');
    const slack = Number(await command(client, ['PTTL', `${PREFIX}clm:${probeKey}`])) - 2_000;
    await store.release(probeKey, 'probe');
    for (const interval of POLL_INTERVALS_MS) {
      const alive = Math.ceil((2 * interval + slack) / interval);
      info(
        `poll leases alive per pending login polled every ${interval / 1000} s (lease ${(2 * interval) / 1000} s + measured Redis slack ${fixed(slack / 1000, 1)} s): ` +
          `${alive} keys ≈ ${fixed(alive * leaseBytes, 0)} B, vs 1 lease (${fixed(leaseBytes, 0)} B) counted in the figure below (derived from the measured lease size)`,
      );
    }

    await memoryStoreTrial(collect); // warm-up
    const memoryTrials: number[] = [];
    for (let i = 0; i < TRIALS; i += 1) memoryTrials.push(await memoryStoreTrial(collect));
    const memoryStore = median(memoryTrials);
    detail(`memory store, same logins: ${memoryTrials.map((m) => fixed(m, 0)).join(' / ')} B/login (heap delta between full GCs)`);

    info(`pending login in Redis vs in the memory store: ${fixed(used, 0)} B vs ${fixed(memoryStore, 0)} B → ratio ${fixed(used / memoryStore, 2)}`);
    result(
      `bytes per pending login in Redis: ${fixed(used, 0)} B (used_memory delta) → ${fixed(used / TARGET_BYTES, 3)} of the 2 KiB target; ` +
        `memory store ${fixed(memoryStore, 0)} B → ratio ${fixed(used / memoryStore, 2)} (target ≤ ${TARGET_BYTES} B)`,
      used <= TARGET_BYTES,
    );
  } finally {
    await store.close();
    closeAppClient(client);
    await redis.stop();
  }
}

if (gc) {
  await main(gc);
} else {
  // Heap deltas mean nothing without forcing collections: run again with the flag.
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  process.exitCode = child.status ?? 1;
}
