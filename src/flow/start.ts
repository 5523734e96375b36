import type { ResolvedOptions } from '../options.js';
import { regenerateKeepingData, saveSession } from '../session/regenerate.js';
import { readEnded, writePending } from '../session/marks.js';
import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { VerifyPort } from '../twilio/verify-api.js';
import type { PendingMark } from '../types.js';
import { clientIp, sessionTag } from './context.js';
import { createChallenge, LOGIN, pendingMarkOf, type PushSpec, type StartOrigin } from './create-challenge.js';
import { addressTag, denialAllowanceUsed, spendStart, startRefused } from './limits.js';
import { failure, limitFailure, pending, type Outcome } from './outcome.js';
import { readActive, reconcileUnanswered } from './reconcile.js';
import type { Asker, OutcomeRecorder } from './recorder.js';
import { withStartLock } from './start-lock.js';

export interface StarterDeps<User> {
  api: Pick<VerifyPort, 'listPushFactors' | 'createChallenge' | 'fetchChallenge'>;
  store: ChallengeStore;
  recorder: OutcomeRecorder<User>;
  options: ResolvedOptions<User>;
}

/**
 * How long after a push's end was reported a request of the same session counts as having set out before it
 * (a page's parallel requests, a second tab's poll), in ms. A person who reads the outcome and asks again takes
 * longer than this.
 */
const PARALLEL_WINDOW_MS = 2_000;

/** How a start ended inside the user's lock: a new push, one this session already started, or a refusal. */
type Started<User> = { created: PendingMark } | { shared: PendingMark } | { refused: Outcome<User> };

/**
 * Starting a challenge for a user who passed the first factor: the start limits, then, one start of a user at
 * a time (a lock in the store, so across instances too), the unanswered pushes and denials the last start
 * left, and the push itself; then the session is regenerated and marked pending.
 */
export class Starter<User> {
  /** Starts in progress in this process, by identity and session id: the fast path of sharing a start. */
  private readonly starting = new Map<string, Promise<PendingMark | undefined>>();

  constructor(private readonly deps: StarterDeps<User>) {}

  /**
   * Parallel requests of one session (a page loading several gated resources at once) share one start, so
   * the phone is pushed once, not once per request. Only the first request writes the session; the others
   * answer pending and leave their (identical, soon replaced) session alone. Sharing is per session, so
   * another browser of the same user never learns this session's transaction id or match code. Within a
   * process the requests wait on one promise; across processes the start lock and the record's `startedBy`
   * do the same (see `startLocked`).
   */
  async start(asker: Asker<User>, identity: string, spec: PushSpec = LOGIN): Promise<Outcome<User>> {
    // A request that set out while the session's push was still waiting, and arrives just after another
    // request was told how it ended, is told the same: it did not ask for a new push.
    const ended = readEnded(asker.req, identity, spec.purpose);
    if (ended && this.deps.options.clock() - ended.at < PARALLEL_WINDOW_MS) return failure(ended.code, ended.message);
    const key = `${identity} ${asker.req.sessionID ?? ''} ${spec.purpose} ${spec.actionDigest ?? ''}`;
    const shared = this.starting.get(key);
    if (shared) {
      const mark = await shared;
      if (mark) return pending(mark);
    }
    let settle: (mark: PendingMark | undefined) => void = () => undefined;
    this.starting.set(key, new Promise((resolve) => (settle = resolve)));
    let started: PendingMark | undefined;
    try {
      const outcome = await this.startOnce(asker, identity, spec);
      if (outcome.kind === 'pending') started = outcome.pending;
      return outcome;
    } finally {
      settle(started);
      this.starting.delete(key);
    }
  }

  /**
   * Start limits are read before anything else (no Twilio call, no allowance spent for a refused attempt);
   * the rest happens under the user's start lock. A refused request only looks, under that lock, for its own
   * session's push. A privilege change follows: the session id during pending
   * differs from the one before (fixation defence).
   */
  private async startOnce(asker: Asker<User>, identity: string, spec: PushSpec): Promise<Outcome<User>> {
    const { store, options } = this.deps;
    const budgetMs = options.requestTimeoutMs * (options.retries + 4);
    const lock = { holdMs: budgetMs, waitMs: budgetMs };
    const refused = await startRefused(store, options.limits, identity, clientIp(asker.req), options.clock());
    if (refused) {
      // The limit may have been reached by this very session's push, which a parallel request on another
      // instance is starting right now: once its lock is released, that push is shared, not refused.
      const own = await withStartLock(store, identity, lock, async () =>
        ownPendingStart((await readActive(store, identity)).record, sessionTag(asker.req), spec, options.clock()),
      );
      return own ? pending(pendingMarkOf(own)) : limitFailure(refused);
    }
    const result = await withStartLock(store, identity, lock, () => this.startLocked(asker, identity, spec));
    if ('refused' in result) return result.refused;
    if ('shared' in result) return pending(result.shared);
    const { req } = asker;
    // A login push is a privilege change: the id during pending differs from the one before. A step-up or an
    // action is asked of a session that is already signed in and keeps its id (and its verified mark).
    if (spec.purpose === 'login') await regenerateKeepingData(req);
    writePending(req, result.created);
    await saveSession(req);
    return pending(result.created);
  }

  /** One start of this user, alone: every instance sees the state the previous start left. */
  private async startLocked(asker: Asker<User>, identity: string, spec: PushSpec): Promise<Started<User>> {
    const { store, options } = this.deps;
    const { limits, clock, requestTimeoutMs } = options;
    const ip = clientIp(asker.req);
    const origin: StartOrigin = {
      startedFrom: addressTag(ip, options.identitySecret ?? options.serviceSid),
      startedBy: sessionTag(asker.req),
    };
    const active = await readActive(store, identity);
    const own = ownPendingStart(active.record, origin.startedBy, spec, clock());
    if (own) return { shared: pendingMarkOf(own) };
    const reconcileDeps = { api: this.deps.api, store, recorder: this.deps.recorder, clock };
    const reconciled = await reconcileUnanswered(reconcileDeps, identity, active, clock() + requestTimeoutMs * 2, asker);
    const fromHere = reconciled.unanswered.filter((push) => push.startedFrom === origin.startedFrom);
    const locked =
      (await denialAllowanceUsed(store, limits, identity, fromHere, clock())) ??
      (await spendStart(store, limits, identity, ip, clock()));
    if (locked) return { refused: limitFailure(locked) };
    return { created: await createChallenge(this.deps, asker, identity, origin, reconciled, spec) };
  }
}

/**
 * The user's active challenge when this very session started it and it still waits: a parallel request of
 * the same browser that another instance served first. That request shares it rather than push again.
 */
function ownPendingStart(active: ChallengeRecord | undefined, startedBy: string, spec: PushSpec, now: number): ChallengeRecord | undefined {
  if (active?.startedBy !== startedBy || active.status !== 'pending' || now > active.expiresAt) return undefined;
  // Only the same kind of push: a parallel request for another action must get its own approval.
  if ((active.purpose ?? 'login') !== spec.purpose || active.actionDigest !== spec.actionDigest) return undefined;
  return active;
}
