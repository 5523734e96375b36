/**
 * What "Twilio" knows after the run, read from the emulator once the faults are cleared: every challenge of
 * every soak user (with its transaction id, status and answer time), and every call the app made, each
 * creation matched to the challenge it asked for by the transaction id it carried.
 */
import type { CallRecord, RunningEmulator, WebhookDelivery } from '../../src/testing/index.js';

export interface TwilioChallenge {
  sid: string;
  identity: string;
  status: string;
  transactionId: string | undefined;
  dateCreated: number;
  dateResponded: number | undefined;
  expiresAt: number;
}

export interface Truth {
  challenges: Map<string, TwilioChallenge>;
  /** Challenges by the transaction id they carry (more than one would be a second push for one start). */
  byTransaction: Map<string, TwilioChallenge[]>;
  /** The app's calls (source api), in arrival order. */
  calls: CallRecord[];
  /** The app's creation calls, by the transaction id in their HiddenDetails. */
  creationsByTransaction: Map<string, CallRecord[]>;
  deliveries: WebhookDelivery[];
}

function param(call: CallRecord, name: string): string | undefined {
  const value = call.params[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The transaction id a creation call carried. */
export function creationTransaction(call: CallRecord): string | undefined {
  const hidden = param(call, 'HiddenDetails');
  if (hidden === undefined) return undefined;
  try {
    return (JSON.parse(hidden) as { transaction_id?: string }).transaction_id;
  } catch {
    return undefined;
  }
}

/** The challenge sid in a call's path (fetch, notifications), if any. */
export function pathChallenge(call: CallRecord): string | undefined {
  return /\/Challenges\/(YC[0-9a-f]{32})/.exec(call.path)?.[1];
}

function push<Key, Value>(map: Map<Key, Value[]>, key: Key, value: Value): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export async function readTruth(emulator: RunningEmulator, serviceSid: string, identities: Iterable<string>): Promise<Truth> {
  // Read before listing: the lists below are calls too.
  const calls = emulator.calls({ source: 'api' });
  const deliveries = emulator.deliveries();
  const challenges = new Map<string, TwilioChallenge>();
  const byTransaction = new Map<string, TwilioChallenge[]>();
  const client = emulator.client();
  for (const identity of identities) {
    const list = await client.verify.v2.services(serviceSid).entities(identity).challenges.list({ pageSize: 1000, limit: 100_000 });
    for (const item of list) {
      const hidden = item.hiddenDetails as Record<string, string> | null;
      const challenge: TwilioChallenge = {
        sid: item.sid,
        identity,
        status: item.status,
        transactionId: hidden?.transaction_id,
        dateCreated: item.dateCreated.getTime(),
        dateResponded: item.dateResponded ? item.dateResponded.getTime() : undefined,
        expiresAt: item.expirationDate.getTime(),
      };
      challenges.set(challenge.sid, challenge);
      if (challenge.transactionId !== undefined) push(byTransaction, challenge.transactionId, challenge);
    }
  }
  const creationsByTransaction = new Map<string, CallRecord[]>();
  for (const call of calls) {
    if (call.operation !== 'createChallenge') continue;
    const transactionId = creationTransaction(call);
    if (transactionId !== undefined) push(creationsByTransaction, transactionId, call);
  }
  return { challenges, byTransaction, calls, creationsByTransaction, deliveries };
}
