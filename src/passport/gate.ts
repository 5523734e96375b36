import type { VerifyPushAuthenticateOptions, VerifyPushRequest } from '../types.js';

/**
 * Gate or route? Express sets `req.route` only once it has matched a route, so a middleware mounted with
 * `app.use` / `router.use` sees none: there the one-line drop-in must let anonymous visitors reach the app's
 * own login page instead of answering 401 to everything. Inside a route it is the login step itself.
 */
export function isGate(req: VerifyPushRequest, options: VerifyPushAuthenticateOptions): boolean {
  if (typeof options.gate === 'boolean') return options.gate;
  return req.route === undefined || req.route === null;
}

/**
 * Is this the GET of the waiting page itself? The drop-in gate also sits in front of the page it redirects
 * to: that page must render, or a browser would be sent round in a loop of redirects to itself.
 */
export function isWaitingPage(req: VerifyPushRequest, waitPath: string | undefined): boolean {
  if (waitPath === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const requested = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  return pathOf(requested) === waitPath;
}

/** The path of a URL or path (no query, no fragment); undefined when it cannot be read. */
export function pathOf(url: string): string | undefined {
  try {
    return new URL(url, 'http://local.invalid').pathname;
  } catch {
    return undefined;
  }
}
