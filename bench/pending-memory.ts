/**
 * Memory held per pending login in the MemoryChallengeStore: 10,000 pending logins written through the
 * store's public API as the strategy writes them when it starts a challenge (set + swapActive, then the
 * per-user start counter), measured as the heap delta between two full garbage collections.
 * Baseline, measured the same way in the same run: 10,000 bare Map entries (a fresh challenge-sid string
 * key → a minimal object), the least any keyed store could hold per login.
 * Target: ≤ 2 KiB per pending login. Needs `--expose-gc` (re-runs itself with it when missing).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MemoryChallengeStore, type ChallengeRecord } from '../src/index.js';
import { detail, heading, info, result } from './support/report.js';
import { fixed, median } from './support/stats.js';

const RECORDS = 10_000;
const TRIALS = 5;
const TARGET_BYTES = 2048;
/** One Verify service per app: every record shares the configured service sid string. */
const SERVICE_SID = `VA${randomBytes(16).toString('hex')}`;
const TTL_MS = 20 * 60_000;

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(collect: () => void): number {
  // Twice: the first pass may only promote what a second one then frees.
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

/** A pending record as startChallenge() writes it: Twilio sids, the HMAC identity, a transaction id. */
function pendingRecord(now: number): ChallengeRecord {
  return {
    challengeSid: `YC${randomBytes(16).toString('hex')}`,
    serviceSid: SERVICE_SID,
    identity: randomBytes(32).toString('hex'),
    factorSid: `YF${randomBytes(16).toString('hex')}`,
    transactionId: randomBytes(16).toString('base64url'),
    status: 'pending',
    createdAt: now,
    expiresAt: now + 300_000 + Math.floor(Math.random() * 1000),
  };
}

interface Trial {
  baseline: number;
  records: number;
  withCounter: number;
}

async function trial(collect: () => void): Promise<Trial> {
  let start = heapAfterGc(collect);
  const bare = new Map<string, { n: number }>();
  for (let i = 0; i < RECORDS; i += 1) bare.set(`YC${randomBytes(16).toString('hex')}`, { n: i });
  const baseline = (heapAfterGc(collect) - start) / RECORDS;

  // The benchmark's own list of identities (for the counters) is allocated before the measurement
  // starts, at full size, so only the strings it shares with the store's records are counted.
  const identities = new Array<string>(RECORDS).fill('');
  const store = new MemoryChallengeStore({ sweepIntervalMs: 0 });
  start = heapAfterGc(collect);
  for (let i = 0; i < RECORDS; i += 1) {
    const record = pendingRecord(Date.now());
    await store.set(record, TTL_MS);
    await store.swapActive(record.identity, record.challengeSid, TTL_MS);
    identities[i] = record.identity;
  }
  const records = (heapAfterGc(collect) - start) / RECORDS;

  for (const identity of identities) await store.increment(`start:user:${identity}`, 900_000, identity.slice(0, 16));
  const withCounter = (heapAfterGc(collect) - start) / RECORDS;

  if (bare.size !== RECORDS || store.stats().records !== RECORDS || store.stats().active !== RECORDS) {
    throw new Error('the maps do not hold what was written');
  }
  await store.close();
  return { baseline, records, withCounter };
}

async function main(collect: () => void): Promise<void> {
  heading('Pending logins held in the memory store');
  detail(`${RECORDS} pending logins per trial, ${TRIALS} trials (median), heap delta between full GCs`);
  const trials: Trial[] = [];
  await trial(collect); // warm-up: compiles the code paths and settles the heap
  for (let i = 0; i < TRIALS; i += 1) trials.push(await trial(collect));
  const baseline = median(trials.map((t) => t.baseline));
  const records = median(trials.map((t) => t.records));
  const withCounter = median(trials.map((t) => t.withCounter));
  detail(`baseline (Map: sid string → { n }): ${trials.map((t) => fixed(t.baseline, 0)).join(' / ')} bytes/entry`);
  detail(`ours, record + active pointer: ${trials.map((t) => fixed(t.records, 0)).join(' / ')} bytes/login`);
  detail(`ours, + per-user start counter: ${trials.map((t) => fixed(t.withCounter, 0)).join(' / ')} bytes/login`);
  info(`pending memory, record + active pointer only: ours ${fixed(records, 0)} B vs bare Map entry ${fixed(baseline, 0)} B → ratio ${fixed(records / baseline, 2)}`);
  result(
    `pending memory: ours ${fixed(withCounter, 0)} B/login vs bare Map entry ${fixed(baseline, 0)} B → ratio ${fixed(withCounter / baseline, 2)}; ` +
      `${fixed(withCounter / TARGET_BYTES, 3)} of the 2 KiB target (target ≤ ${TARGET_BYTES} B)`,
    withCounter <= TARGET_BYTES,
  );
}

if (gc) {
  await main(gc);
} else {
  // Heap deltas mean nothing without forcing collections: run again with the flag.
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  process.exitCode = child.status ?? 1;
}
