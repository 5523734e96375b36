/**
 * Every failure this package reports is a `VerifyPushError` with a stable string `code`.
 * Match on `code` (or use `isVerifyPushError`): `instanceof` is unreliable when an app
 * loads both the ESM and the CJS build of this package.
 */
export type VerifyPushErrorCode =
  // configuration (thrown at construction)
  | 'INVALID_OPTION'
  // first factor / session
  | 'FIRST_FACTOR_REQUIRED'
  | 'SESSION_REQUIRED'
  | 'SESSION_UNSUPPORTED'
  // factor and challenge outcomes
  | 'NO_PUSH_FACTOR'
  | 'CHALLENGE_PENDING'
  | 'CHALLENGE_DENIED'
  | 'CHALLENGE_EXPIRED'
  | 'CHALLENGE_SUPERSEDED'
  | 'CHALLENGE_MISMATCH'
  | 'CHALLENGE_ALREADY_USED'
  | 'CHALLENGE_NOT_FOUND'
  // push-fatigue defences
  | 'RATE_LIMITED'
  // bad input
  | 'INVALID_SID'
  | 'INVALID_IDENTITY'
  | 'DETAILS_TOO_LONG'
  | 'DETAILS_INVALID'
  | 'WEBHOOK_SIGNATURE_INVALID'
  | 'WEBHOOK_BODY_INVALID'
  | 'NOT_AUTHENTICATED'
  | 'SECOND_FACTOR_REQUIRED'
  | 'STEP_UP_REQUIRED'
  // dependencies
  | 'TWILIO_RATE_LIMITED'
  | 'TWILIO_UNAVAILABLE'
  | 'TWILIO_TIMEOUT'
  | 'TWILIO_ERROR'
  | 'STORE_ERROR';

export interface VerifyPushErrorOptions {
  /** HTTP status an app should answer with. */
  status?: number;
  /** Seconds the client should wait before trying again (429 answers). */
  retryAfter?: number;
  /** Twilio's numeric error code when the error came from Twilio. */
  twilioCode?: number;
  cause?: unknown;
}

const DEFAULT_STATUS: Record<VerifyPushErrorCode, number> = {
  INVALID_OPTION: 500,
  FIRST_FACTOR_REQUIRED: 401,
  SESSION_REQUIRED: 500,
  SESSION_UNSUPPORTED: 500,
  NO_PUSH_FACTOR: 403,
  CHALLENGE_PENDING: 202,
  CHALLENGE_DENIED: 401,
  CHALLENGE_EXPIRED: 401,
  CHALLENGE_SUPERSEDED: 401,
  CHALLENGE_MISMATCH: 401,
  CHALLENGE_ALREADY_USED: 409,
  CHALLENGE_NOT_FOUND: 404,
  RATE_LIMITED: 429,
  INVALID_SID: 400,
  INVALID_IDENTITY: 400,
  DETAILS_TOO_LONG: 400,
  DETAILS_INVALID: 400,
  WEBHOOK_SIGNATURE_INVALID: 403,
  WEBHOOK_BODY_INVALID: 400,
  NOT_AUTHENTICATED: 401,
  SECOND_FACTOR_REQUIRED: 403,
  STEP_UP_REQUIRED: 403,
  TWILIO_RATE_LIMITED: 503,
  TWILIO_UNAVAILABLE: 503,
  TWILIO_TIMEOUT: 504,
  TWILIO_ERROR: 502,
  STORE_ERROR: 503,
};

/** The HTTP status a code answers with unless the error names another. */
export function defaultStatus(code: VerifyPushErrorCode): number {
  return DEFAULT_STATUS[code];
}

export class VerifyPushError extends Error {
  readonly code: VerifyPushErrorCode;
  readonly status: number;
  readonly retryAfter?: number;
  readonly twilioCode?: number;

  constructor(code: VerifyPushErrorCode, message: string, options: VerifyPushErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VerifyPushError';
    this.code = code;
    this.status = options.status ?? DEFAULT_STATUS[code];
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options.twilioCode !== undefined) this.twilioCode = options.twilioCode;
  }
}

/** Works across the ESM and CJS builds, unlike `instanceof`. */
export function isVerifyPushError(value: unknown): value is VerifyPushError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'VerifyPushError' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}
