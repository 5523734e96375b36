/**
 * Everything one pending login leaves in a challenge store, written through the store's public API as the
 * strategy writes it: the record (with what the phone shows), the active pointer, the three start counters
 * (per address, per user and address, per user) and a poll lease. The start lock is not there: it is released
 * once the push is sent. Each login gets its own user and its own address, the most a login can cost.
 */
import { randomBytes } from 'node:crypto';
import type { ChallengeStore } from '../../src/index.js';

/** One Verify service per app: every record carries the same service sid. */
const SERVICE_SID = `VA${randomBytes(16).toString('hex')}`;
const RECORD_TTL_MS = 600_000;
const START_WINDOW_MS = 900_000;
const POLL_LEASE_MS = 2_000;

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function addressOf(index: number): string {
  return `10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`;
}

/** Writes pending login number `index` (the index picks its client address). */
export async function writePendingLogin(store: ChallengeStore, index: number, now: number): Promise<void> {
  const identity = hex(32);
  const challengeSid = `YC${hex(16)}`;
  const ip = addressOf(index);
  await store.set(
    {
      challengeSid,
      serviceSid: SERVICE_SID,
      identity,
      factorSid: `YF${hex(16)}`,
      transactionId: randomBytes(24).toString('base64url'),
      matchCode: String(10 + (index % 90)),
      status: 'pending',
      createdAt: now,
      expiresAt: now + 300_000,
      startedFrom: randomBytes(12).toString('base64url'),
      startedBy: randomBytes(16).toString('base64url'),
      message: 'Approve sign-in to Example App?',
      fields: [
        { label: 'IP address', value: ip },
        { label: 'Browser', value: 'Firefox on Linux' },
        { label: 'Time', value: '2026-11-30 12:00 UTC' },
      ],
    },
    RECORD_TTL_MS,
  );
  await store.swapActive(identity, challengeSid, RECORD_TTL_MS);
  const operation = randomBytes(12).toString('base64url');
  await store.increment(`start:ip:${ip}`, START_WINDOW_MS, operation);
  await store.increment(`start:user-ip:${identity}:${ip}`, START_WINDOW_MS, operation);
  await store.increment(`start:user:${identity}`, START_WINDOW_MS, operation);
  await store.claim(`poll:${challengeSid}:${Math.floor(now / POLL_LEASE_MS)}`, POLL_LEASE_MS, operation);
}

/** Writes logins `from` … `to - 1`, `parallel` at a time (a network store is measured, not its latency). */
export async function writePendingLogins(store: ChallengeStore, from: number, to: number, parallel: number): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const index = next;
      next += 1;
      await writePendingLogin(store, index, Date.now());
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
