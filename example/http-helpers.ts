/** Small request helpers shared by the example's routes. */
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ExampleContext } from './context.js';
import type { PublicUser } from './users.js';
import type { PageChrome } from './views/layout.js';

/** The user who passed the password step, if any (Passport puts it on `req.user`). */
export function currentUser(req: Request): PublicUser | undefined {
  return req.user as PublicUser | undefined;
}

/** The session's lists of texts for the next page: errors (`messages`) and good news (`notices`). */
type SessionList = 'messages' | 'notices';
type ListSession = Partial<Record<SessionList, unknown>>;

function addToList(req: Request, list: SessionList, text: string): void {
  const session = req.session as unknown as ListSession;
  const items = Array.isArray(session[list]) ? (session[list] as unknown[]) : [];
  items.push(text);
  session[list] = items;
}

/** The list's texts, once: the next page shows them and they are gone. */
function takeList(req: Request, list: SessionList): string[] {
  const session = req.session as unknown as ListSession | undefined;
  const items = session?.[list];
  if (!session || !Array.isArray(items)) return [];
  delete session[list];
  return items.filter((item): item is string => typeof item === 'string');
}

/**
 * Messages for the next page, kept in the session. Passport's `failureMessage: true` appends to the
 * same `req.session.messages` array, so the login page shows both kinds.
 */
export function addMessage(req: Request, message: string): void {
  addToList(req, 'messages', message);
}

export function takeMessages(req: Request): string[] {
  return takeList(req, 'messages');
}

/** Good news for the next page (a change saved, a sign-out done), kept apart from the error messages. */
export function addNotice(req: Request, notice: string): void {
  addToList(req, 'notices', notice);
}

export function takeNotices(req: Request): string[] {
  return takeList(req, 'notices');
}

/** JSON for scripts and API clients (an app on the phone), HTML for browsers. */
export function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

/**
 * A fresh nonce per response and a Content-Security-Policy that only runs our own inline script and
 * style: an injected `<script>` (say, through a push message) would not run.
 */
export function contentSecurityPolicy(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const nonce = randomBytes(16).toString('base64');
    res.locals.nonce = nonce;
    res.setHeader(
      'Content-Security-Policy',
      [
        "default-src 'self'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  };
}

/**
 * What every page's header needs. The header tells a finished sign-in from one that has only the password, so
 * it asks the strategy whether this session's push was approved (`status()` never starts a push).
 */
export async function chrome(req: Request, res: Response, ctx: Pick<ExampleContext, 'push' | 'deviceSimulator'>): Promise<PageChrome> {
  const base: PageChrome = { nonce: String(res.locals.nonce ?? ''), deviceSimulator: ctx.deviceSimulator, ...workerOf(res) };
  const user = currentUser(req);
  if (!user) return base;
  return { ...base, username: user.username, secondFactor: await secondFactorDone(ctx, req) };
}

/** The phone approved this session's sign-in (or a remembered browser stood in for it). */
export async function signedInWithPhone(ctx: Pick<ExampleContext, 'push'>, req: Request): Promise<boolean> {
  const status = await ctx.push.status(req);
  // A step-up or an action waiting for the phone is only ever asked of a session that is signed in already.
  return status.state === 'completed' || status.purpose === 'step-up' || status.purpose === 'action';
}

async function secondFactorDone(ctx: Pick<ExampleContext, 'push'>, req: Request): Promise<boolean> {
  try {
    return await signedInWithPhone(ctx, req);
  } catch {
    // An error page for a request that failed early (no session yet, a store outage) still renders, and never
    // claims a finished sign-in it could not check.
    return false;
  }
}

/** The device simulator's page plays a phone: no app header, no user. */
export function phoneChrome(res: Response): PageChrome {
  return { nonce: String(res.locals.nonce ?? ''), deviceSimulator: true, phone: true, ...workerOf(res) };
}

/** Cluster mode: the worker that answers (cluster/worker-marks.ts), for the page footer. */
function workerOf(res: Response): Pick<PageChrome, 'worker'> {
  return typeof res.locals.worker === 'string' ? { worker: res.locals.worker } : {};
}

/** Wraps an async route so a rejection reaches Express's error handler (Express 5 does this too; explicit is clearer). */
export function asyncRoute(handler: (req: Request, res: Response, next: NextFunction) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    handler(req, res, next).catch(next);
  };
}
