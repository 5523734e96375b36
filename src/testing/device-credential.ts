import { TwilioApiError } from './errors.js';
import { decodeJwt, hasValidEs256Signature } from './jwt.js';
import type { PathParams } from './route-context.js';
import type { EmulatorEnv } from './route-context.js';
import type { FactorRecord } from './state.js';

/**
 * The device's credential once its factor exists: HTTP Basic with user `token` and, as password, an ES256 JWT
 * signed with the factor key, whose header is `{ cty: "twilio-pba;v=1", kid: <config.credential_sid>, typ,
 * alg }` and whose claims are `{ sub: <account SID>, exp: now + 10 min, nbf: now }` (seconds).
 * Sources: twilio-verify-android networking/AuthenticationProvider.kt and api/FactorAPIClient.kt
 * (AUTHENTICATION_USER = "token"), twilio-verify-ios Sources/Networking/Authentication.swift and
 * Sources/API/APIConstants.swift. Both SDKs re-sync their clock from the `Date` header of a 401 and retry
 * once (BaseAPIClient.kt, BaseAPIClient.swift), so every refusal here is a 401.
 * Guess: which Twilio code each refusal carries is not documented for Verify; the codes are those of Twilio's
 * JWT errors (https://www.twilio.com/docs/api/errors/20151 to 20160), one per cause.
 */

export const DEVICE_JWT_CONTENT_TYPE = 'twilio-pba;v=1';
/** Longest lifetime Twilio accepts for a JWT (error 20157: more than 24 hours). */
const MAX_LIFETIME_SECONDS = 24 * 60 * 60;

function refused(code: number, message: string): TwilioApiError {
  return new TwilioApiError(401, code, message);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The factor a device JWT authenticates, for a request under `path`; throws Twilio's 401 otherwise. */
export function factorOfDeviceJwt(env: EmulatorEnv, jwt: string, path: PathParams): FactorRecord {
  const decoded = decodeJwt(jwt);
  if (!decoded) throw refused(20160, 'Invalid Token');
  const { header, claims } = decoded;
  const kid = header['kid'];
  if (header['alg'] !== 'ES256' || header['typ'] !== 'JWT' || header['cty'] !== DEVICE_JWT_CONTENT_TYPE || typeof kid !== 'string') {
    throw refused(20152, 'Invalid Header');
  }
  // A credential of another service or identity authenticates nothing here, exactly like an unknown one.
  const factor = env.state.factorByCredential(kid);
  if (!factor || factor.serviceSid !== path.VA || factor.identity !== path.identity) throw refused(20151, 'Authentication Failed');
  if (!hasValidEs256Signature(jwt, factor.publicKey)) throw refused(20159, 'Invalid Signature');
  const { sub, exp, nbf } = claims;
  if (typeof sub !== 'string' || !isNumber(exp) || !isNumber(nbf)) throw refused(20154, 'Invalid Claim Set');
  if (sub !== env.accountSid) throw refused(20153, 'Invalid Issuer Or Subject');
  const now = Math.floor(env.state.now() / 1000);
  if (nbf > now) throw refused(20155, 'Expiration Time In The Future');
  if (exp <= now) throw refused(20156, 'Expired or Invalid Expiration in Token');
  if (exp - now > MAX_LIFETIME_SECONDS) throw refused(20157, 'Expiration Time Exceeds Maximum Time Allowed');
  return factor;
}
