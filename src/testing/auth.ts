import { timingSafeEqual } from 'node:crypto';
import { unauthenticated } from './errors.js';
import type { PathParams, Route } from './http-router.js';
import { decodeJwt, verifyEs256 } from './jwt.js';
import type { Caller, EmulatorEnv } from './route-context.js';
import type { CallSource } from './types.js';

/**
 * Who may call what:
 * - the backend: HTTP Basic `AccountSid:AuthToken`, every route (as on Twilio);
 * - the device: HTTP Basic with user name `token` and, as password, either the enrolment access
 *   token (factor creation only) or a short-lived ES256 JWT signed with the factor's key
 *   (header `kid` = factor SID), for the factor's own routes.
 * Guess: the mobile SDKs' exact device credentials are not public; this scheme gives the same
 * guarantees (only the holder of the token or of the private key can act as the device).
 */

/** User name the device uses in Basic auth. */
export const DEVICE_USER = 'token';

interface BasicCredentials {
  username: string;
  password: string;
}

function parseBasic(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // Constant time, so the emulator does not teach tests a timing oracle on the auth token.
  return left.length === right.length && timingSafeEqual(left, right);
}

/** For the call log: device calls are recognised by their user name alone. */
export function sourceOf(header: string | undefined): CallSource {
  return parseBasic(header)?.username === DEVICE_USER ? 'device' : 'api';
}

function deviceByAccessToken(env: EmulatorEnv, token: string, path: PathParams): Caller {
  const now = env.state.now();
  for (const record of env.state.accessTokens.values()) {
    if (!sameSecret(record.token, token)) continue;
    // An access token enrols only the identity it was minted for, in its service, before it expires.
    if (record.serviceSid !== path.VA || record.identity !== path.identity || now >= record.expiresAt) break;
    return { source: 'device', accessToken: record };
  }
  throw unauthenticated();
}

function deviceByFactorJwt(env: EmulatorEnv, jwt: string, path: PathParams): Caller {
  const kid = decodeJwt(jwt)?.header['kid'];
  const factor = typeof kid === 'string' ? env.state.factors.get(kid) : undefined;
  if (!factor || factor.serviceSid !== path.VA || factor.identity !== path.identity) throw unauthenticated();
  const claims = verifyEs256(jwt, factor.publicKey);
  const exp = claims?.['exp'];
  if (!claims || typeof exp !== 'number' || exp * 1000 <= env.state.now()) throw unauthenticated();
  return { source: 'device', factor };
}

export function authenticate(env: EmulatorEnv, header: string | undefined, route: Route | undefined, path: PathParams): Caller {
  const credentials = parseBasic(header);
  if (!credentials) throw unauthenticated();
  if (credentials.username === env.accountSid) {
    if (!sameSecret(credentials.password, env.authToken)) throw unauthenticated();
    return { source: 'api' };
  }
  if (credentials.username !== DEVICE_USER || !route?.deviceAuth) throw unauthenticated();
  return route.deviceAuth === 'accessToken'
    ? deviceByAccessToken(env, credentials.password, path)
    : deviceByFactorJwt(env, credentials.password, path);
}
