import { VerifyPushError } from '../errors.js';
import type { TwilioClientLike } from '../types.js';
import { isNotFound, knownTwilioError } from './error-codes.js';

export interface TwilioCall {
  method: 'get' | 'post' | 'delete';
  /** Path under https://verify.twilio.com, e.g. `/v2/Services/VA.../Entities/.../Challenges`. */
  path: string;
  data?: Record<string, string | string[]>;
  params?: Record<string, string | number>;
  timeoutMs: number;
}

interface RawResponse {
  statusCode: number;
  body: unknown;
  headers?: Record<string, unknown>;
}

const VERIFY_BASE = 'https://verify.twilio.com';

/** Send one request; resolve with the parsed JSON body or reject with a VerifyPushError. */
export async function twilioRequest(client: TwilioClientLike, call: TwilioCall): Promise<unknown> {
  let response: RawResponse;
  try {
    response = await withTimeout(
      client.request({
        method: call.method,
        uri: VERIFY_BASE + call.path,
        ...(call.data ? { data: call.data } : {}),
        ...(call.params ? { params: call.params } : {}),
        timeout: call.timeoutMs,
      }) as Promise<RawResponse>,
      // The HTTP client's own timeout normally fires first; this one guards custom clients that ignore it.
      call.timeoutMs + 500,
    );
  } catch (error) {
    throw transportError(error);
  }
  const body = parseBody(response.body);
  if (response.statusCode >= 200 && response.statusCode < 300) return body;
  throw twilioError(response.statusCode, body, response.headers);
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  if (body === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new VerifyPushError('TWILIO_TIMEOUT', `Twilio did not answer within ${ms} ms.`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Errors after which we cannot know whether Twilio acted on the request (it may have created a challenge
 * and lost the answer). Only a refused connection proves the request never arrived.
 */
const outcomeUnknown = new WeakSet<VerifyPushError>();

export function isOutcomeUnknown(error: unknown): boolean {
  return error instanceof VerifyPushError && outcomeUnknown.has(error);
}

function transportError(error: unknown): VerifyPushError {
  const code = (error as { code?: unknown } | null)?.code;
  const message = String((error as { message?: unknown } | null)?.message ?? '');
  let mapped: VerifyPushError;
  if (error instanceof VerifyPushError) {
    mapped = error;
  } else if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message)) {
    // axios reports its own timeout as ECONNABORTED or ETIMEDOUT.
    mapped = new VerifyPushError('TWILIO_TIMEOUT', 'Twilio did not answer in time.', { cause: safeCause(error) });
  } else {
    mapped = new VerifyPushError('TWILIO_UNAVAILABLE', 'Could not reach Twilio.', { cause: safeCause(error) });
  }
  if (code !== 'ECONNREFUSED') outcomeUnknown.add(mapped);
  return mapped;
}

/**
 * What is kept of an HTTP client's error. Never the error itself: axios errors carry the request's
 * configuration, and with it the `Authorization` header (the account SID and auth token), which would end up
 * in any log that prints the error's cause.
 */
function safeCause(error: unknown): { name: string; code?: string; message: string } {
  const source = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  return {
    name: typeof source.name === 'string' ? source.name : 'Error',
    ...(typeof source.code === 'string' ? { code: source.code } : {}),
    message: typeof source.message === 'string' ? source.message.slice(0, 200) : 'unknown transport error',
  };
}

/** Twilio's not-found answers, whatever their code: the caller knows which resource was missing. */
const notFound = new WeakSet<VerifyPushError>();

export function isTwilioNotFound(error: unknown): boolean {
  return error instanceof VerifyPushError && notFound.has(error);
}

function twilioError(status: number, body: unknown, headers: Record<string, unknown> | undefined): VerifyPushError {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown };
  const twilioCode = typeof fields.code === 'number' ? fields.code : undefined;
  const detail = typeof fields.message === 'string' ? `: ${fields.message}` : '';
  const options = { twilioCode, status: 502 };
  if (isNotFound(twilioCode, status)) {
    const error = new VerifyPushError('TWILIO_ERROR', `Twilio does not know the resource (${status})${detail}`, { ...options, status: 404 });
    notFound.add(error);
    return error;
  }
  const known = knownTwilioError(twilioCode);
  if (known) return new VerifyPushError(known.code, known.message, { twilioCode, status: known.status });
  if (status === 429) {
    const retryAfter = parseRetryAfter(headerValue(headers, 'retry-after'));
    return new VerifyPushError('TWILIO_RATE_LIMITED', `Twilio is rate limiting requests${detail}`, {
      ...options,
      status: 503,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
  }
  if (status >= 500) {
    return new VerifyPushError('TWILIO_UNAVAILABLE', `Twilio answered ${status}${detail}`, { ...options, status: 503 });
  }
  return new VerifyPushError('TWILIO_ERROR', `Twilio refused the request (${status})${detail}`, options);
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): unknown {
  if (!headers) return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') return (getter as (n: string) => unknown).call(headers, name);
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** Retry-After is seconds or an HTTP date; answer seconds (≥ 0), or undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

/** Transient failures worth another try: rate limits, Twilio 5xx, timeouts and dropped connections. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'TWILIO_RATE_LIMITED' || code === 'TWILIO_UNAVAILABLE' || code === 'TWILIO_TIMEOUT';
}
