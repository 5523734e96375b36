import type { ResolvedOptions } from '../options.js';
import { readPending, verifiedMark } from '../session/marks.js';
import { sessionOf } from '../session/regenerate.js';
import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { PendingMark, VerifyPushRequest, VerifyPushStatus } from '../types.js';
import { resolveIdentity } from './identity.js';
import type { Poller } from './poll.js';
import { bindingMatches } from './records.js';

export interface StatusDeps<User> {
  options: ResolvedOptions<User>;
  store: ChallengeStore;
  poller: Poller<User>;
}

/** The current user's identity and, when the session waits for one, its challenge as the store holds it. */
export interface OwnChallenge {
  identity: string;
  pending?: PendingMark;
  record?: ChallengeRecord;
}

/** The status, plus when reading again may bring news from Twilio (the events endpoint's timer). */
export type WatchedStatus = VerifyPushStatus & { recheckAt?: number };

/**
 * Where a session's own sign-in stands, for waiting pages, the events endpoint and resend. The challenge
 * always comes from the session, never from the request, and must still belong to the current user. Reading
 * it never logs anyone in and never writes to the session.
 */
export class SessionChallenges<User> {
  constructor(private readonly deps: StatusDeps<User>) {}

  /** The session's challenge sid (never one the client sent), for subscribing to its changes. */
  pendingChallengeSid(req: VerifyPushRequest): string | undefined {
    return readPending(req)?.challengeSid;
  }

  async own(req: VerifyPushRequest): Promise<OwnChallenge | undefined> {
    sessionOf(req);
    const user = this.deps.options.getUser(req);
    if (!user) return undefined;
    const identity = await resolveIdentity(this.deps.options, user, req);
    const pending = readPending(req);
    if (!pending || pending.identity !== identity) return { identity };
    const record = await this.deps.store.get(pending.challengeSid);
    if (!record || !bindingMatches(record, pending)) return { identity };
    return { identity, pending, record };
  }

  /**
   * Brought up to date the same way a login poll would be (local expiry, one Twilio fetch per interval,
   * shared with the login route's lease so tabs and instances still share one fetch). With webhooks expected
   * the interval is `webhookFallbackPollMs`: the webhook normally brings the news, and a lost one still
   * reaches the page within that interval.
   */
  async status(req: VerifyPushRequest): Promise<WatchedStatus> {
    const own = await this.own(req);
    if (!own) return { state: 'none' };
    const { identity, pending, record: stored } = own;
    if (!pending || !stored) {
      const { clock, maxAgeMs } = this.deps.options;
      return { state: verifiedMark(req, identity, clock(), maxAgeMs) ? 'completed' : 'none' };
    }
    const record = await this.deps.poller.refresh(stored);
    return {
      state: record.status,
      expiresAt: pending.expiresAt,
      pollAfterMs: this.deps.options.pollIntervalMs,
      transactionId: pending.transactionId,
      ...(pending.matchCode === undefined ? {} : { matchCode: pending.matchCode }),
      message: pending.message,
      fields: pending.fields,
      ...(pending.purpose === undefined ? {} : { purpose: pending.purpose }),
      ...(pending.returnTo === undefined ? {} : { returnTo: pending.returnTo }),
      ...(record.status === 'pending' ? { recheckAt: this.deps.poller.nextFetchAt(record) } : {}),
    };
  }
}
