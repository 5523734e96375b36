import { randomBytes } from 'node:crypto';

/** Two-letter SID prefixes the emulator issues and checks. */
export type SidPrefix = 'AC' | 'VA' | 'YE' | 'YF' | 'YC' | 'YK' | 'YW' | 'NT' | 'CR';

/** A new SID: prefix + 32 lowercase hex characters, as Twilio issues them. */
export function newSid(prefix: SidPrefix): string {
  return prefix + randomBytes(16).toString('hex');
}

/** True when `value` is a SID of this kind (Twilio accepts either hex case). */
export function isSid(prefix: SidPrefix, value: string): boolean {
  return new RegExp(`^${prefix}[0-9a-fA-F]{32}$`).test(value);
}

/**
 * Twilio's identity rule: 8–64 characters of dash-separated alphanumerics.
 * Guess: Twilio also accepts leading/trailing or doubled dashes in practice; the emulator
 * only requires the character set and length, so any identity the strategy may make passes.
 */
export function isIdentity(value: string): boolean {
  return /^[A-Za-z0-9-]{8,64}$/.test(value);
}
