import { parseIsoDate } from '../dates.js';
import { invalidParameter } from '../errors.js';
import type { Params } from '../params.js';
import { maxLength, parseStringMap } from '../validate.js';

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
 * `Details.Fields` arrives as one repeated form field per item, each a JSON string
 * `{"label": …, "value": …}` (twilio-node serialises it with `serialize.map(…, serialize.object)`).
 */
export function parseFields(raw: string[]): { label: string; value: string }[] {
  if (raw.length > LIMITS.fields) throw invalidParameter(`Details.Fields can have up to ${LIMITS.fields} items`);
  return raw.map((item) => {
    let value: unknown;
    try {
      value = JSON.parse(item);
    } catch {
      throw invalidParameter('each Details.Fields item must be a JSON object');
    }
    if (typeof value !== 'object' || value === null) throw invalidParameter('each Details.Fields item must be a JSON object');
    const { label, value: text } = value as { label?: unknown; value?: unknown };
    if (typeof label !== 'string' || typeof text !== 'string') {
      throw invalidParameter('each Details.Fields item needs a string label and value');
    }
    return {
      label: maxLength('Details.Fields label', label, LIMITS.labelLength),
      value: maxLength('Details.Fields value', text, LIMITS.valueLength),
    };
  });
}

/** The expiry a creation asks for: default now + 5 min, never in the past, at most now + 60 min. */
export function parseExpiry(params: Params, now: number): number {
  const raw = params.get('ExpirationDate');
  if (raw === undefined) return now + LIMITS.defaultExpiryMs;
  const expiry = parseIsoDate(raw);
  if (expiry === undefined) throw invalidParameter('ExpirationDate must be an ISO 8601 date-time');
  // Guess: Twilio refuses an expiry in the past, and one beyond 60 minutes, with 60200.
  if (expiry <= now) throw invalidParameter('ExpirationDate must be in the future');
  if (expiry > now + LIMITS.maxExpiryMs) throw invalidParameter('ExpirationDate can be at most 60 minutes after creation');
  return expiry;
}

export function parseMessage(params: Params): string {
  const message = params.get('Details.Message');
  if (message === undefined || message === '') throw invalidParameter('Details.Message is required for push factors');
  return maxLength('Details.Message', message, LIMITS.messageLength);
}

export function parseHiddenDetails(params: Params): Record<string, string> | null {
  const raw = params.get('HiddenDetails');
  return raw === undefined ? null : parseStringMap('HiddenDetails', raw, LIMITS.hiddenDetailsLength);
}

export function parseMetadata(params: Params): Record<string, string> | null {
  const raw = params.get('Metadata');
  return raw === undefined ? null : parseStringMap('Metadata', raw, LIMITS.metadataLength);
}
