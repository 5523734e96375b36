import { createHash } from 'node:crypto';
import type { ChallengeContext, VerifyPushRequest } from '../types.js';

/** The client address as the app's Express sees it (its `trust proxy` setting decides), else the socket's. */
export function clientIp(req: VerifyPushRequest): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

/** What `message`, `fields` and `hiddenDetails` functions receive. */
export function challengeContext<User>(req: VerifyPushRequest, user: User, now: number): ChallengeContext<User> {
  const agent = req.headers?.['user-agent'];
  return { req, user, ip: clientIp(req), userAgent: typeof agent === 'string' ? agent : '', time: new Date(now) };
}

/**
 * A digest of the request's session id, kept in the challenge record so parallel requests of one browser can
 * recognise their own start (on any instance) without the store ever holding a usable session id.
 */
export function sessionTag(req: VerifyPushRequest): string {
  return createHash('sha256').update(`verify-push-session:${req.sessionID ?? ''}`).digest('base64url').slice(0, 22);
}
