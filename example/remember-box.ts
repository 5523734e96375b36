/**
 * Remembered browsers in the example: the login form's "Remember this browser" box, kept in the session from
 * the password step until the push is approved (the strategy's `remember` option reads it then), and whether
 * this session was let in by a remembered browser rather than by a push.
 */
import type { VerifyPushRequest, VerifyPushSessionData } from 'passport-twilio-verify-push';

interface SessionWithBox {
  rememberBrowser?: unknown;
  verifyPush?: VerifyPushSessionData;
}

function sessionOf(req: VerifyPushRequest): SessionWithBox | undefined {
  return req.session as SessionWithBox | undefined;
}

/** The box as a form (`remember=yes`) or an app (`"remember": true`) sends it. */
export function boxTicked(body: unknown): boolean {
  const value = (body as { remember?: unknown } | undefined)?.remember;
  return value === true || value === 'yes' || value === 'on';
}

/** Called after the password step's login (which starts a new session), so the box lives in the new one. */
export function keepRememberBox(req: VerifyPushRequest, ticked: boolean): void {
  const session = sessionOf(req);
  if (!session) return;
  if (ticked) session.rememberBrowser = true;
  else delete session.rememberBrowser;
}

/** The strategy's `remember` option: evaluated when this session's login push is approved. */
export function rememberBox(req: VerifyPushRequest): boolean {
  return sessionOf(req)?.rememberBrowser === true;
}

/** Let in by a remembered browser: the phone was not asked at this sign-in. */
export function letInByRememberedBrowser(req: VerifyPushRequest): boolean {
  return sessionOf(req)?.verifyPush?.verified?.remembered === true;
}
