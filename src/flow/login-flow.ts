import type { ResolvedOptions } from '../options.js';
import { markVerifiedOnLogIn } from '../session/login-hook.js';
import { clearPending, hasVerifiedMark, readPending } from '../session/marks.js';
import { sessionOf } from '../session/regenerate.js';
import type { PendingMark, VerifyPushRequest } from '../types.js';
import type { Completer } from './complete.js';
import { resolveIdentity } from './identity.js';
import { failure, PASS, type Outcome } from './outcome.js';
import type { Asker } from './recorder.js';
import type { Starter } from './start.js';

export interface LoginFlowDeps<User> {
  options: ResolvedOptions<User>;
  starter: Starter<User>;
  completer: Completer<User>;
}

/**
 * The login flow's entry point, in the order of the README's state table: what one request of a session
 * leads to, given whether the middleware acts as a gate (in front of protected routes) or as the login route.
 */
export class LoginFlow<User> {
  constructor(private readonly deps: LoginFlowDeps<User>) {}

  async next(req: VerifyPushRequest, gate: boolean): Promise<Outcome<User>> {
    const { options, starter, completer } = this.deps;
    sessionOf(req);
    const user = options.getUser(req);
    // No first factor yet: the gate leaves it to the app's own login handling.
    if (!user) return gate ? PASS : failure('FIRST_FACTOR_REQUIRED', 'Sign in with your password first.');
    const identity = await resolveIdentity(options, user, req);
    // Second factor done in this session: the gate lets it through, the route logs it in again.
    if (hasVerifiedMark(req, identity)) return gate ? PASS : this.logInAgain(req, user, identity);
    const asker: Asker<User> = { user, req };
    const mark = this.pendingFor(req, identity);
    // No challenge yet: start one. Waiting for one: check it (pending, approved → login, or why not).
    return mark ? completer.check(asker, identity, mark) : starter.start(asker, identity);
  }

  /**
   * The session's pending challenge when it is this user's. Another user signed in in this browser: their
   * login needs their own push, never this one.
   */
  private pendingFor(req: VerifyPushRequest, identity: string): PendingMark | undefined {
    const mark = readPending(req);
    if (mark && (mark.identity !== identity || mark.serviceSid !== this.deps.options.serviceSid)) {
      clearPending(req);
      return undefined;
    }
    return mark;
  }

  /**
   * The login route hit again after finishing: log the same user in again (Passport regenerates the session,
   * the mark is rewritten) so successRedirect and custom callbacks behave as after a push. No challenge, no
   * Twilio call, no verify callback: this session already proved the second factor.
   */
  private logInAgain(req: VerifyPushRequest, user: User, identity: string): Outcome<User> {
    clearPending(req);
    markVerifiedOnLogIn(req, user, identity, this.deps.options.clock);
    return { kind: 'success', user, info: { message: 'Already verified.' } };
  }
}
