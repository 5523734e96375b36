import { createHash } from 'node:crypto';
import { VerifyPushError } from '../errors.js';
import type { ActionDescription, DetailField } from '../types.js';
import { checkDetails } from './details.js';

/** An action as the phone will show it and the approval will be bound to. */
export interface CheckedAction {
  type: string;
  data: Record<string, string>;
  message: string;
  fields: DetailField[];
  /** base64url SHA-256 of all of the above, in a canonical order. */
  digest: string;
}

const MAX_DATA_ENTRIES = 20;

function invalid(message: string): VerifyPushError {
  return new VerifyPushError('INVALID_OPTION', message);
}

/**
 * Checks what the route described (Twilio's limits on what the phone shows included) and computes the digest
 * the approval is bound to. The digest covers the action's type, every data value and exactly what is shown
 * (message and fields), with the data in a canonical order, so the same action always gives the same digest and
 * a changed amount, payee or wording gives another: the approval of one can never pass for the other.
 */
export function checkAction(description: ActionDescription): CheckedAction {
  const { type, data, message } = (description ?? {}) as Partial<ActionDescription>;
  if (typeof type !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(type)) {
    throw invalid('The action `type` must be 1–64 letters, digits, dots, colons, dashes or underscores.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalid('The action `data` must be an object of strings.');
  const entries = Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length > MAX_DATA_ENTRIES) throw invalid(`The action \`data\` may hold at most ${MAX_DATA_ENTRIES} values.`);
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw invalid(`The action \`data.${key}\` must be a string (format amounts yourself).`);
  }
  const fields = description.fields ?? entries.map(([label, value]) => ({ label, value }));
  const details = checkDetails(message, fields);
  const canonical = JSON.stringify([type, entries, details.message, details.fields.map((field) => [field.label, field.value])]);
  return {
    type,
    data: Object.fromEntries(entries),
    message: details.message,
    fields: details.fields,
    digest: createHash('sha256').update(canonical).digest('base64url'),
  };
}
