import { isIP } from 'node:net';
import { VerifyPushError } from '../errors.js';
import {
  MAX_FIELDS,
  MAX_HIDDEN_DETAILS_LENGTH,
  MAX_LABEL_LENGTH,
  MAX_MESSAGE_LENGTH,
  MAX_VALUE_LENGTH,
} from '../twilio-limits.js';
import type { DetailField } from '../types.js';


/** Keys the strategy writes into hidden_details itself; an app may not set them. */
export const RESERVED_HIDDEN_KEYS: readonly string[] = ['transaction_id', 'match_code', 'action_digest'];

export function defaultMessage(appName: string | undefined): string {
  return appName === undefined ? 'Approve sign-in?' : `Approve sign-in to ${appName}?`;
}

interface FieldContext {
  ip: string;
  userAgent: string;
  time: Date;
}

/**
 * The request context the phone shows by default, so the user can spot a login that is not theirs:
 * where it comes from, with what browser, and when. Exported so an app can add its own fields to these.
 */
export function defaultFields(ctx: FieldContext): DetailField[] {
  return [
    { label: 'IP address', value: displayIp(ctx.ip) },
    { label: 'Browser', value: browserSummary(ctx.userAgent) },
    { label: 'Time', value: formatUtc(ctx.time) },
  ];
}

/** "2025-01-31 14:05 UTC": readable on a phone, and unambiguous whatever the phone's time zone. */
export function formatUtc(time: Date): string {
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/Edg(?:e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/Chrome\/|CriOS\//, 'Chrome'],
  [/Safari\//, 'Safari'],
  [/curl\//, 'curl'],
];

const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/Windows/, 'Windows'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/**
 * The client address for the phone, only if it is one. With a loose `trust proxy` setting Express takes it
 * from X-Forwarded-For, which the client writes: anything that is not an IP address is not shown.
 */
function displayIp(ip: string): string {
  const address = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return isIP(address) === 0 ? 'unknown' : address;
}

/**
 * A short, human summary such as "Firefox on Windows" (a full User-Agent is unreadable on a phone). Only
 * names from the lists above are shown: the header is written by whoever logs in, and during a push-fatigue
 * attack its text would otherwise appear on the victim's phone ("IT-support-please-approve").
 */
export function browserSummary(userAgent: string): string {
  if (userAgent.trim() === '') return 'unknown';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown browser';
}

function tooLong(message: string): VerifyPushError {
  return new VerifyPushError('DETAILS_TOO_LONG', message);
}

/** Checks the app-supplied message and fields against Twilio's limits before anything is sent. */
export function checkDetails(message: unknown, fields: unknown): { message: string; fields: DetailField[] } {
  if (typeof message !== 'string' || message.trim() === '') {
    throw new VerifyPushError('INVALID_OPTION', 'The `message` option must produce a non-empty string.');
  }
  if (message.length > MAX_MESSAGE_LENGTH) {
    throw tooLong(`The \`message\` option produced more than ${MAX_MESSAGE_LENGTH} characters.`);
  }
  if (!Array.isArray(fields)) {
    throw new VerifyPushError('INVALID_OPTION', 'The `fields` option must return an array of { label, value }.');
  }
  if (fields.length > MAX_FIELDS) throw tooLong(`The \`fields\` option returned more than ${MAX_FIELDS} fields.`);
  const checked = fields.map((field: unknown) => {
    const { label, value } = (field ?? {}) as { label?: unknown; value?: unknown };
    if (typeof label !== 'string' || typeof value !== 'string' || label === '') {
      throw new VerifyPushError('INVALID_OPTION', 'The `fields` option must return { label, value } string pairs.');
    }
    if (label.length > MAX_LABEL_LENGTH) throw tooLong(`A field label from the \`fields\` option exceeds ${MAX_LABEL_LENGTH} characters.`);
    if (value.length > MAX_VALUE_LENGTH) throw tooLong(`A field value from the \`fields\` option exceeds ${MAX_VALUE_LENGTH} characters.`);
    return { label, value };
  });
  return { message, fields: checked };
}

/**
 * Merges the app's hidden details with ours. Reserved keys are refused rather than overwritten so an app
 * cannot believe it controls the transaction id the device compares against.
 */
export function buildHiddenDetails(extra: unknown, own: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  if (extra !== undefined) {
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
      throw new VerifyPushError('INVALID_OPTION', 'The `hiddenDetails` option must return an object of strings.');
    }
    for (const [key, value] of Object.entries(extra)) {
      if (RESERVED_HIDDEN_KEYS.includes(key)) {
        throw new VerifyPushError('INVALID_OPTION', `The \`hiddenDetails\` option may not set the reserved key "${key}".`);
      }
      if (typeof value !== 'string') {
        throw new VerifyPushError('INVALID_OPTION', 'The `hiddenDetails` option must return an object of strings.');
      }
      result[key] = value;
    }
  }
  Object.assign(result, own);
  if (JSON.stringify(result).length > MAX_HIDDEN_DETAILS_LENGTH) {
    throw tooLong(`The hidden details (with the \`hiddenDetails\` option) exceed ${MAX_HIDDEN_DETAILS_LENGTH} characters of JSON.`);
  }
  return result;
}
