/** Twilio's JSON (snake_case) turned into the small typed shapes the rest of the package uses. */
import type { DetailField, PushFactor } from '../types.js';

export type TwilioChallengeStatus = 'pending' | 'expired' | 'approved' | 'denied';

export interface TwilioChallenge {
  sid: string;
  accountSid: string;
  serviceSid: string;
  identity: string;
  factorSid: string;
  status: TwilioChallengeStatus;
  expirationDate: Date;
  dateResponded: Date | null;
  hiddenDetails: Record<string, string>;
  details: { message: string; fields: DetailField[] };
}

export interface AccessToken {
  sid: string;
  token: string;
  /** seconds */
  ttl: number;
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function date(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

function stringMap(value: unknown): Record<string, string> {
  // Twilio documents hidden_details as an object; tolerate a JSON string in case it is echoed as sent.
  let source: unknown = value;
  if (typeof value === 'string') {
    try {
      source = JSON.parse(value) as unknown;
    } catch {
      return {};
    }
  }
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(asObject(source))) {
    if (typeof entry === 'string') result[key] = entry;
  }
  return result;
}

const CHALLENGE_STATUSES: readonly string[] = ['pending', 'expired', 'approved', 'denied'];

export function toChallenge(json: unknown): TwilioChallenge {
  const body = asObject(json);
  const status = text(body.status);
  const details = asObject(body.details);
  const fields = Array.isArray(details.fields) ? details.fields : [];
  return {
    sid: text(body.sid),
    accountSid: text(body.account_sid),
    serviceSid: text(body.service_sid),
    identity: text(body.identity),
    factorSid: text(body.factor_sid),
    // An unknown status is treated as still pending: it can never complete a login.
    status: (CHALLENGE_STATUSES.includes(status) ? status : 'pending') as TwilioChallengeStatus,
    expirationDate: date(body.expiration_date) ?? new Date(0),
    dateResponded: date(body.date_responded),
    hiddenDetails: stringMap(body.hidden_details),
    details: {
      message: text(details.message),
      fields: fields.map((f) => ({ label: text(asObject(f).label), value: text(asObject(f).value) })),
    },
  };
}

export function toPushFactor(json: unknown): PushFactor | undefined {
  const body = asObject(json);
  if (body.factor_type !== 'push') return undefined;
  return {
    sid: text(body.sid),
    friendlyName: text(body.friendly_name),
    status: body.status === 'verified' ? 'verified' : 'unverified',
    dateCreated: date(body.date_created) ?? new Date(0),
  };
}

export function toAccessToken(json: unknown): AccessToken {
  const body = asObject(json);
  return { sid: text(body.sid), token: text(body.token), ttl: typeof body.ttl === 'number' ? body.ttl : 60 };
}

/** A page of a list answer: its items under `key` and the absolute URL of the next page, if any. */
export function toPage(json: unknown, key: string): { items: unknown[]; nextPageUrl: string | null } {
  const body = asObject(json);
  const items = Array.isArray(body[key]) ? (body[key] as unknown[]) : [];
  const next = asObject(body.meta).next_page_url;
  return { items, nextPageUrl: typeof next === 'string' && next !== '' ? next : null };
}
