import type { ResolvedOptions } from '../options.js';
import { markVerifiedOnLogIn } from '../session/login-hook.js';
import { clearPending, endPending, writeVerified } from '../session/marks.js';
import type { VerifyPushErrorCode } from '../errors.js';
import { regenerateKeepingData, saveSession } from '../session/regenerate.js';
import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { ApprovedChallenge, PendingMark, VerifyFunction, VerifyFunctionWithRequest, VerifyPushFailure } from '../types.js';
import { failure, PASS, pending, type Outcome } from './outcome.js';
import type { Poller } from './poll.js';
import type { Asker, OutcomeRecorder } from './recorder.js';
import { bindingMatches, recordTtlMs, transition } from './records.js';
import type { RememberedBrowsers } from './remembered-browsers.js';

/** How long after its expiry an approved challenge may still complete the login (a slow last poll), in ms. */
const COMPLETION_GRACE_MS = 60_000;

/**
 * How long a `completed` record may sit in a session that still waits for it. The request that won the
 * approval regenerates the session at once, so a session still waiting this long after the win means that
 * request died between the compare-and-set and the login: the user may start again.
 */
export const STUCK_COMPLETION_MS = 10_000;

export interface CompleterDeps<User> {
  store: ChallengeStore;
  poller: Poller<User>;
  options: ResolvedOptions<User>;
  verify: VerifyFunction<User> | VerifyFunctionWithRequest<User> | undefined;
  remembered: RememberedBrowsers | undefined;
  recorder: Pick<OutcomeRecorder<User>, 'finishDenial'>;
}

/** A session's challenge after checking it: approved (ready to be used once), or what to answer instead. */
export type Checked<User> = { approved: ChallengeRecord } | { outcome: Outcome<User> };

/**
 * Checking a session's pending challenge and, once it is approved, using the approval exactly once: it is
 * consumed by compare-and-set before anything else happens, so of any number of requests (tabs, instances, a
 * webhook racing a poll) one goes on. What going on means depends on the push: a login, a step-up (the
 * session's approval time renewed), or one action.
 */
export class Completer<User> {
  constructor(private readonly deps: CompleterDeps<User>) {}

  async check(asker: Asker<User>, mark: PendingMark): Promise<Checked<User>> {
    const { req } = asker;
    const stored = await this.deps.store.get(mark.challengeSid);
    if (!stored || !bindingMatches(stored, mark)) {
      clearPending(req);
      return { outcome: failure('CHALLENGE_MISMATCH', 'This sign-in request is no longer valid. Start again.') };
    }
    const record = await this.deps.poller.refresh(stored, asker);
    switch (record.status) {
      case 'pending':
        return { outcome: pending(mark) };
      case 'approved':
        // An approval must be used promptly: a session that comes back long after the challenge expired
        // starts again rather than going on with an old approval.
        if (this.deps.options.clock() > record.expiresAt + COMPLETION_GRACE_MS) {
          clearPending(req);
          return { outcome: failure('CHALLENGE_EXPIRED', 'The sign-in request expired. Start again.') };
        }
        return { approved: record };
      case 'denied':
        await this.deps.recorder.finishDenial(record, asker);
        return { outcome: this.ended(asker, mark, 'CHALLENGE_DENIED', 'The sign-in request was denied on your phone.') };
      case 'expired':
        return { outcome: this.ended(asker, mark, 'CHALLENGE_EXPIRED', 'The sign-in request expired. Start again.') };
      case 'superseded':
        return { outcome: this.ended(asker, mark, 'CHALLENGE_SUPERSEDED', 'A newer sign-in request replaced this one.') };
      case 'completed':
        return { outcome: this.usedUp(asker, record) };
    }
  }

  /**
   * Uses the approval: exactly one caller wins, however many check at once. The losers do not touch their
   * session: the winner may have regenerated it, and writing to the old one would resurrect its id. The
   * winner drops the pending mark at once, so whatever happens next the user can start again instead of
   * meeting "already used" on every request.
   */
  async consume(asker: Asker<User>, record: ChallengeRecord): Promise<Outcome<User> | undefined> {
    const now = this.deps.options.clock();
    const won = await this.deps.store.compareAndSet(
      record.challengeSid,
      'approved',
      transition(record, 'completed', now, { completedAt: now }),
      recordTtlMs(record, now),
    );
    if (!won) return failure('CHALLENGE_ALREADY_USED', 'This sign-in request was already used.');
    clearPending(asker.req);
    return undefined;
  }

  /** A login: the verify callback, then Passport's success (which regenerates the session). */
  async completeLogin(asker: Asker<User>, identity: string, record: ChallengeRecord, remember: () => boolean): Promise<Outcome<User>> {
    const used = await this.consume(asker, record);
    if (used) return used;
    const { req } = asker;
    const verified = await this.runVerify(asker, record);
    if (!verified.user) {
      const info = verified.info as Partial<VerifyPushFailure> | undefined;
      return {
        kind: 'fail',
        info: { ...info, code: info?.code ?? 'NOT_AUTHENTICATED', message: info?.message ?? 'The sign-in was refused.' },
        status: 401,
      };
    }
    if (this.deps.remembered && req.res && !req.res.headersSent && remember()) await this.deps.remembered.remember(req.res, identity);
    // Pending is gone before success, so even `keepSessionInfo: true` cannot carry it into the new session;
    // the verified mark is written once Passport's logIn has regenerated the session (see login-hook.ts).
    markVerifiedOnLogIn(req, verified.user, identity, this.deps.options.clock);
    return { kind: 'success', user: verified.user, info: verified.info ?? {} };
  }

  /**
   * A step-up: the session's approval time is renewed (as OpenID Connect's auth_time) and the request goes
   * on. The login is not repeated, but the session gets a new id, as at every change of privilege.
   */
  async completeStepUp(asker: Asker<User>, identity: string, record: ChallengeRecord): Promise<Outcome<User>> {
    const used = await this.consume(asker, record);
    if (used) return used;
    const { req } = asker;
    await regenerateKeepingData(req);
    writeVerified(req, { identity, sessionId: req.sessionID ?? '', at: this.deps.options.clock() });
    await saveSession(req);
    return PASS;
  }

  /** The push ended without an approval: told to this request, and kept for the session's parallel ones. */
  private ended(asker: Asker<User>, mark: PendingMark, code: VerifyPushErrorCode, message: string): Outcome<User> {
    const at = this.deps.options.clock();
    endPending(asker.req, { identity: mark.identity, purpose: mark.purpose ?? 'login', code, message, at });
    return failure(code, message);
  }

  /**
   * Another request already used this approval. Normally it also regenerated the session, and this one (a
   * parallel tab of the old session) must leave the session alone. A session still waiting for it well after
   * the win means the winner never went on: the pending mark goes, so the next request starts again.
   */
  private usedUp(asker: Asker<User>, record: ChallengeRecord): Outcome<User> {
    const completedAt = record.completedAt ?? record.settledAt ?? record.createdAt;
    if (this.deps.options.clock() - completedAt > STUCK_COMPLETION_MS) {
      clearPending(asker.req);
      return failure('CHALLENGE_ALREADY_USED', 'This sign-in request was already used. Start again.');
    }
    return failure('CHALLENGE_ALREADY_USED', 'This sign-in request was already used.');
  }

  /** The app's verify callback, if any, turned into a promise; the first `done` call wins. */
  private runVerify(asker: Asker<User>, record: ChallengeRecord): Promise<{ user: User | false | null | undefined; info: object | undefined }> {
    const { verify, options } = this.deps;
    if (!verify) return Promise.resolve({ user: asker.user, info: undefined });
    const challenge: ApprovedChallenge = {
      challengeSid: record.challengeSid,
      identity: record.identity,
      factorSid: record.factorSid,
      transactionId: record.transactionId,
      createdAt: new Date(record.createdAt),
      approvedAt: new Date(record.settledAt ?? options.clock()),
    };
    return new Promise((resolve, reject) => {
      let called = false;
      const done = (err: unknown, verifiedUser?: User | false | null, info?: object): void => {
        if (called) return;
        called = true;
        if (err) reject(err);
        else resolve({ user: verifiedUser, info });
      };
      if (options.passReqToCallback) (verify as VerifyFunctionWithRequest<User>)(asker.req, asker.user, challenge, done);
      else (verify as VerifyFunction<User>)(asker.user, challenge, done);
    });
  }
}
