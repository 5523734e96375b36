import { invalidParameter } from './errors.js';
import type { Params } from './params.js';

/** Parameter checks shared by the resources; every failure is Twilio's 60200 (400). */

export function requireParam(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw invalidParameter(`${name} is required`);
  return value;
}

export function optionalInt(params: Params, name: string, min: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw invalidParameter(`${name} must be an integer`);
  const value = Number(raw);
  if (value < min || value > max) throw invalidParameter(`${name} must be between ${min} and ${max}`);
  return value;
}

export function optionalBool(params: Params, name: string): boolean | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw invalidParameter(`${name} must be true or false`);
}

export function optionalEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw invalidParameter(`${name} must be one of ${allowed.join(', ')}`);
  return raw as T;
}

export function maxLength(name: string, value: string, limit: number): string {
  if (value.length > limit) throw invalidParameter(`${name} can be up to ${limit} characters`);
  return value;
}

/**
 * A JSON object whose values are all strings, at most `limit` characters as sent
 * (Twilio's rule for `HiddenDetails` and `Metadata`).
 */
export function parseStringMap(name: string, raw: string, limit: number): Record<string, string> {
  maxLength(name, raw, limit);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalidParameter(`${name} must be a JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParameter(`${name} must be a JSON object`);
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw invalidParameter(`${name} values must be strings`);
    result[key] = entry;
  }
  return result;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
