import type { ResolvedOptions } from '../options.js';
import { markVerifiedOnLogIn } from '../session/login-hook.js';
import { clearPending, forgetEnded, isFresh, readPending, verifiedMark } from '../session/marks.js';
import { sessionOf } from '../session/regenerate.js';
import type { DetailField, PendingMark, PushPurpose, VerifyPushRequest } from '../types.js';
import type { Completer } from './complete.js';
import { resolveIdentity } from './identity.js';
import { failure, PASS, type Outcome } from './outcome.js';
import type { Asker } from './recorder.js';
import type { RememberedBrowsers } from './remembered-browsers.js';
import type { Starter } from './start.js';

export interface LoginFlowDeps<User> {
  options: ResolvedOptions<User>;
  starter: Starter<User>;
  completer: Completer<User>;
  remembered: RememberedBrowsers | undefined;
}

/** What one mount of the middleware asks of the flow. */
export interface FlowRequest {
  /** In front of routes (pass what is not ours) rather than the login step itself. */
  gate: boolean;
  /** Step-up: the session's last approval must be this recent, in ms. */
  maxAgeMs?: number;
  /** The step-up push's message and fields. */
  stepUp?: { message?: string; fields?: DetailField[] };
  /**
   * Remember this browser once its login push is approved. Asked only then, with `rememberBrowser` on: the
   * gate runs on every request, and the app's callback has nothing to decide on the others.
   */
  remember: () => boolean;
  /** The person asked for a new push: the end of the session's last one does not answer this request. */
  askAgain: boolean;
}

/**
 * The login flow's entry point, in the order of the README's state table: what one request of a session
 * leads to, given whether the middleware acts as a gate (in front of protected routes) or as the login route,
 * and how recent an approval the route asks for.
 */
export class LoginFlow<User> {
  constructor(private readonly deps: LoginFlowDeps<User>) {}

  async next(req: VerifyPushRequest, request: FlowRequest): Promise<Outcome<User>> {
    const { options, starter, completer } = this.deps;
    sessionOf(req);
    const user = options.getUser(req);
    // No first factor yet: the gate leaves it to the app's own login handling.
    if (!user) return request.gate ? PASS : failure('FIRST_FACTOR_REQUIRED', 'Sign in with your password first.');
    const identity = await resolveIdentity(options, user, req);
    if (request.askAgain) forgetEnded(req);
    const asker: Asker<User> = { user, req };
    const now = options.clock();
    const verified = verifiedMark(req, identity, now, options.maxAgeMs);
    if (verified) {
      // Signed in, and recently enough for this route: the gate lets it through, the route logs in again.
      if (request.maxAgeMs === undefined || isFresh(verified, now, request.maxAgeMs)) {
        return request.gate ? PASS : this.logInAgain(req, user, identity, verified);
      }
      // Signed in, but this route wants a more recent approval: step up.
      return this.stepUp(asker, identity, request);
    }
    // A browser remembered after an earlier approval skips the login push, but never on a route asking for a
    // recent approval: there the login push is the step-up, with the route's own message.
    if (request.maxAgeMs === undefined && (await this.deps.remembered?.recognises(req, identity))) {
      return this.logInAgain(req, user, identity, { at: now, remembered: true });
    }
    // No challenge yet: start one. Waiting for one: check it (pending, approved → login, or why not).
    const mark = this.pendingFor(req, identity, 'login');
    if (!mark) return starter.start(asker, identity, { purpose: 'login', ...(request.maxAgeMs === undefined ? {} : request.stepUp) });
    const checked = await completer.check(asker, mark);
    return 'approved' in checked ? completer.completeLogin(asker, identity, checked.approved, request.remember) : checked.outcome;
  }

  private async stepUp(asker: Asker<User>, identity: string, request: FlowRequest): Promise<Outcome<User>> {
    const { starter, completer } = this.deps;
    const mark = this.pendingFor(asker.req, identity, 'step-up');
    if (!mark) {
      const returnTo = pageOf(asker.req);
      return starter.start(asker, identity, { purpose: 'step-up', ...request.stepUp, ...(returnTo === undefined ? {} : { returnTo }) });
    }
    const checked = await completer.check(asker, mark);
    return 'approved' in checked ? completer.completeStepUp(asker, identity, checked.approved) : checked.outcome;
  }

  /**
   * The session's pending challenge when it is this user's and of this kind. Another user signed in in this
   * browser: their login needs their own push, never this one. A push of another kind (an action waiting while
   * the user asks for a step-up) is left for a new start to replace.
   */
  private pendingFor(req: VerifyPushRequest, identity: string, purpose: PushPurpose): PendingMark | undefined {
    const mark = readPending(req);
    if (mark && (mark.identity !== identity || mark.serviceSid !== this.deps.options.serviceSid)) {
      clearPending(req);
      return undefined;
    }
    return mark && (mark.purpose ?? 'login') === purpose ? mark : undefined;
  }

  /**
   * Log the same user in (again) without a push: the login route hit after finishing, or a remembered
   * browser. Passport regenerates the session and the mark is rewritten, so successRedirect and custom
   * callbacks behave as after a push. No challenge, no Twilio call, no verify callback.
   */
  private logInAgain(req: VerifyPushRequest, user: User, identity: string, basis: { at: number; remembered?: boolean }): Outcome<User> {
    clearPending(req);
    // The new mark keeps the time of the approval it rests on, so logging in again never freshens a session.
    const flags = { at: basis.at, ...(basis.remembered ? { remembered: true } : {}) };
    markVerifiedOnLogIn(req, user, identity, this.deps.options.clock, flags);
    return { kind: 'success', user, info: { message: basis.remembered ? 'Remembered browser.' : 'Already verified.' } };
  }
}

/** The page a step-up was asked for, to go back to once approved: a GET's own path, never another site. */
function pageOf(req: VerifyPushRequest): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url;
  return typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') && url.length <= 2048 ? url : undefined;
}
