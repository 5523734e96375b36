import { VerifyPushError } from './errors.js';

/**
 * Twilio SIDs are a two-letter prefix and 32 hex digits. Checking them before any network call means a
 * client-supplied value can never steer a request path (`/`, `?`, `#`, `%2F`, `..` all fail the pattern).
 */
export const SID_PREFIX = {
  account: 'AC',
  service: 'VA',
  entity: 'YE',
  factor: 'YF',
  challenge: 'YC',
  accessToken: 'YK',
  webhook: 'YW',
} as const;

export type SidKind = keyof typeof SID_PREFIX;

const HEX32 = /^[0-9a-fA-F]{32}$/;

export function isSid(kind: SidKind, value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length === 34 &&
    value.startsWith(SID_PREFIX[kind]) &&
    HEX32.test(value.slice(2))
  );
}

export function assertSid(kind: SidKind, value: unknown, what = `${kind} sid`): string {
  if (!isSid(kind, value)) {
    throw new VerifyPushError('INVALID_SID', `The ${what} must be "${SID_PREFIX[kind]}" followed by 32 hex digits.`);
  }
  return value;
}

/**
 * Verify identities: 8–64 characters, "dash (-) separated alphanumeric characters" in Twilio's words,
 * so a dash never starts or ends the identity and never doubles. Never PII.
 * Guess: Twilio's server-side rule is exactly this; being stricter than Twilio only refuses earlier.
 */
const IDENTITY = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

export function isIdentity(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 8 && value.length <= 64 && IDENTITY.test(value);
}

export function assertIdentity(value: unknown): string {
  if (!isIdentity(value)) {
    throw new VerifyPushError(
      'INVALID_IDENTITY',
      'The Verify identity must be 8 to 64 letters and digits, optionally separated by single dashes.',
    );
  }
  return value;
}
