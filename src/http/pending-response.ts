import type { ServerResponse } from 'node:http';
import type { PendingBody, PendingMark, VerifyPushRequest } from '../types.js';

export function pendingBody(pending: PendingMark, pollAfterMs: number): PendingBody {
  return {
    status: 'pending',
    code: 'CHALLENGE_PENDING',
    expiresAt: new Date(pending.expiresAt).toISOString(),
    pollAfterMs,
    transactionId: pending.transactionId,
    ...(pending.matchCode === undefined ? {} : { matchCode: pending.matchCode }),
    message: pending.message,
    fields: pending.fields,
    ...(pending.purpose === undefined || pending.purpose === 'login' ? {} : { purpose: pending.purpose }),
    ...(pending.returnTo === undefined ? {} : { returnTo: pending.returnTo }),
  };
}

interface AcceptsRequest {
  accepts?: (types: string[]) => string | false;
}

/**
 * JSON for API clients and scripts (an explicit `Accept: application/json` or `X-Requested-With`), a redirect
 * to the waiting page for browsers. Express's `req.accepts` when present, a plain Accept check otherwise.
 */
export function wantsJson(req: VerifyPushRequest): boolean {
  const requestedWith = req.headers?.['x-requested-with'];
  if (typeof requestedWith === 'string' && requestedWith.toLowerCase() === 'xmlhttprequest') return true;
  const accepts = (req as AcceptsRequest).accepts;
  if (typeof accepts === 'function') return accepts.call(req, ['html', 'json']) === 'json';
  const accept = String(req.headers?.accept ?? '');
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Seconds for Retry-After, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Answers a pending request directly. Passport has no "pending" action and `pass()` would run the protected
 * handler, so the strategy ends the response itself: 202 with the pending body, or 303 to `waitUrl`.
 * `Cache-Control: no-store` because the answer changes from one poll to the next and carries the match code.
 */
export function respondPending(res: ServerResponse, body: PendingBody, json: boolean, waitUrl: string | undefined): void {
  res.setHeader('Cache-Control', 'no-store');
  if (!json && waitUrl !== undefined) {
    res.statusCode = 303;
    res.setHeader('Location', waitUrl);
    res.setHeader('Content-Length', '0');
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = 202;
  res.setHeader('Retry-After', String(retryAfterSeconds(body.pollAfterMs)));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(text)));
  res.end(text);
}
