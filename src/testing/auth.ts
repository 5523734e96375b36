import { timingSafeEqual } from 'node:crypto';
import { unauthenticated } from './errors.js';
import type { Route } from './http-router.js';
import type { PathParams } from './route-context.js';
import { factorOfDeviceJwt } from './device-credential.js';
import type { Caller, EmulatorEnv } from './route-context.js';
import type { CallSource } from './types.js';

/**
 * Who may call what:
 * - the backend: HTTP Basic `AccountSid:AuthToken`, every route (as on Twilio);
 * - the device: HTTP Basic with user name `token` and, as password, the enrolment access token (factor
 *   creation only; twilio-verify-android api/FactorAPIClient.kt `create`) or, for the factor's own routes,
 *   the ES256 JWT of its factor key that device-credential.ts checks.
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
  return { source: 'device', factor: factorOfDeviceJwt(env, jwt, path) };
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
