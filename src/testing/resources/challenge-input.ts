import { parseIsoDate } from '../dates.js';
import { detailsInvalid, invalidParameter } from '../errors.js';
import type { Params } from '../params.js';
import { parseStringMap } from '../validate.js';

/** Twilio's limits on what a push challenge may carry. */
export const LIMITS = {
  messageLength: 256,
  fields: 20,
  labelLength: 36,
  valueLength: 128,
  hiddenDetailsLength: 1024,
  metadataLength: 1024,
  defaultExpiryMs: 5 * 60_000,
  maxExpiryMs: 60 * 60_000,
  authPayloadLength: 5456,
} as const;

/**
 * A push challenge's details that break these rules are refused with 60368, which names exactly them: message
 * required and ≤ 256, ≤ 20 fields of `{ label ≤ 36, value ≤ 128 }` (https://www.twilio.com/docs/api/errors/60368).
 * `Details.Fields` arrives as one repeated form field per item, each a JSON string
 * `{"label": …, "value": …}` (twilio-node serialises it with `serialize.map(…, serialize.object)`).
 */
export function parseFields(raw: string[]): { label: string; value: string }[] {
  if (raw.length > LIMITS.fields) throw detailsInvalid(`Details.Fields can have up to ${LIMITS.fields} items`);
  return raw.map((item) => {
    let value: unknown;
    try {
      value = JSON.parse(item);
    } catch {
      throw detailsInvalid('each Details.Fields item must be a JSON object');
    }
    if (typeof value !== 'object' || value === null) throw detailsInvalid('each Details.Fields item must be a JSON object');
    const { label, value: text } = value as { label?: unknown; value?: unknown };
    if (typeof label !== 'string' || typeof text !== 'string') {
      throw detailsInvalid('each Details.Fields item needs a string label and value');
    }
    if (label.length > LIMITS.labelLength) throw detailsInvalid(`Details.Fields labels can be up to ${LIMITS.labelLength} characters`);
    if (text.length > LIMITS.valueLength) throw detailsInvalid(`Details.Fields values can be up to ${LIMITS.valueLength} characters`);
    return { label, value: text };
  });
}

/** The expiry a creation asks for: default now + 5 min, never in the past, at most now + 60 min. */
export function parseExpiry(params: Params, now: number): number {
  const raw = params.get('ExpirationDate');
  if (raw === undefined) return now + LIMITS.defaultExpiryMs;
  const expiry = parseIsoDate(raw);
  if (expiry === undefined) throw invalidParameter('ExpirationDate must be an ISO 8601 date-time');
  // The 5-minute default and the 60-minute maximum are Twilio's (https://www.twilio.com/docs/api/errors/60323).
  // Guess: an expiry in the past, or beyond 60 minutes, is refused with 60200.
  if (expiry <= now) throw invalidParameter('ExpirationDate must be in the future');
  if (expiry > now + LIMITS.maxExpiryMs) throw invalidParameter('ExpirationDate can be at most 60 minutes after creation');
  return expiry;
}

export function parseMessage(params: Params): string {
  const message = params.get('Details.Message');
  if (message === undefined || message === '') throw detailsInvalid('Details.Message is required for push factors');
  if (message.length > LIMITS.messageLength) throw detailsInvalid(`Details.Message can be up to ${LIMITS.messageLength} characters`);
  return message;
}

export function parseHiddenDetails(params: Params): Record<string, string> | null {
  const raw = params.get('HiddenDetails');
  return raw === undefined ? null : parseStringMap('HiddenDetails', raw, LIMITS.hiddenDetailsLength);
}

export function parseMetadata(params: Params): Record<string, string> | null {
  const raw = params.get('Metadata');
  return raw === undefined ? null : parseStringMap('Metadata', raw, LIMITS.metadataLength);
}
