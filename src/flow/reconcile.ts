import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { VerifyPort } from '../twilio/verify-api.js';
import type { UnansweredPush } from './limits.js';
import type { Asker, OutcomeRecorder } from './recorder.js';

export interface UnansweredChallenge extends UnansweredPush {
  challengeSid: string;
}

/** The user's active challenge as a start read it: the pointer's sid and that challenge's record. */
export interface ActiveChallenge {
  sid: string | undefined;
  record: ChallengeRecord | undefined;
}

/** What a start learned about the user's earlier challenges before creating its own. */
export interface Reconciled {
  /** The challenge the active pointer named when we looked. */
  activeSid: string | undefined;
  /** Challenges the phone has not answered yet, for the new challenge to carry. */
  unanswered: UnansweredChallenge[];
}

export interface ReconcileDeps<User> {
  api: Pick<VerifyPort, 'fetchChallenge'>;
  store: ChallengeStore;
  recorder: OutcomeRecorder<User>;
  clock: () => number;
}

/**
 * Our records of this user's challenges still to be settled: the active one and those it carries, when the
 * phone's answer is unknown or a denial's count was left unfinished.
 */
async function unansweredRecords(store: ChallengeStore, active: ChallengeRecord | undefined): Promise<ChallengeRecord[]> {
  if (active === undefined) return [];
  const carried = await Promise.all((active.earlierUnanswered ?? []).map((sid) => store.get(sid)));
  return [active, ...carried].filter(
    (record): record is ChallengeRecord =>
      record !== undefined &&
      (record.status === 'pending' || record.status === 'superseded' || (record.status === 'denied' && record.denialCounted === false)),
  );
}

/** The user's active challenge: the pointer, then its record (read once per start, under the start lock). */
export async function readActive(store: ChallengeStore, identity: string): Promise<ActiveChallenge> {
  const sid = await store.getActive(identity);
  return { sid, record: sid === undefined ? undefined : await store.get(sid) };
}

/**
 * Before a new start, asks Twilio about this user's challenges whose answer we do not know yet: the active one
 * (nobody may have polled it: without a webhook, a denial the phone already sent would otherwise go unseen)
 * and the superseded ones the phone may still answer (Twilio cannot cancel them). A denial found here is
 * recorded and counted before the denial limit is checked, so with or without a webhook every denied push
 * counts. A failed fetch never stops the start: that challenge is asked about again next time.
 */
export async function reconcileUnanswered<User>(
  deps: ReconcileDeps<User>,
  identity: string,
  active: ActiveChallenge,
  deadline: number,
  asker: Asker<User>,
): Promise<Reconciled> {
  const unanswered: UnansweredChallenge[] = [];
  for (const record of await unansweredRecords(deps.store, active.record)) {
    if (record.status === 'denied') {
      // Recorded, but its count was cut short (the store failed between the writes): finish it now.
      await deps.recorder.finishDenial(record, asker);
      continue;
    }
    const challenge = await deps.api.fetchChallenge(identity, record.challengeSid, deadline).catch(() => undefined);
    if (challenge !== undefined) await deps.recorder.record(record, challenge, asker);
    const stillOpen = challenge === undefined || challenge.status === 'pending';
    if (stillOpen && deps.clock() <= record.expiresAt) {
      unanswered.push({ challengeSid: record.challengeSid, startedFrom: record.startedFrom, expiresAt: record.expiresAt });
    }
  }
  return { activeSid: active.sid, unanswered };
}
