import type { IncomingMessage } from 'node:http';
import { VerifyPushError } from '../errors.js';

/** Most parameters a webhook may carry. Twilio sends about ten; anything far above is not Twilio. */
export const MAX_WEBHOOK_PARAMS = 50;

export type WebhookContent = 'form' | 'json';

/** What a body parser mounted before us may have left on the request. */
export interface MaybeParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  originalUrl?: string;
  /** Set by body-parser 1.x once it has read the stream. */
  _body?: unknown;
}

/** The body as we could get it: the exact bytes, or only what another parser made of them. */
export type ObtainedBody = { raw: Buffer } | { parsed: unknown };

function bodyInvalid(message: string, status = 400): VerifyPushError {
  return new VerifyPushError('WEBHOOK_BODY_INVALID', message, { status });
}

/** Which of the two content types Twilio uses this request has; anything else is refused with 415. */
export function contentKind(req: IncomingMessage): WebhookContent {
  const header = req.headers['content-type'] ?? '';
  const [mediaType = '', ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw bodyInvalid('Webhook bodies must be UTF-8.', 415);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') throw bodyInvalid('Compressed webhook bodies are not accepted.', 415);
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  if (mediaType === 'application/json') return 'json';
  throw bodyInvalid('Webhook bodies must be application/x-www-form-urlencoded or application/json.', 415);
}

/**
 * Get the body whether or not the app mounted a body parser in front of us. We prefer exact bytes
 * (`req.rawBody`, a Buffer/string body from express.raw/express.text, or the unread stream) because the
 * signature of a JSON body covers its bytes, and because parsing form bytes ourselves lets us refuse
 * duplicate and nested parameters that a lenient parser would have merged.
 */
export async function obtainBody(req: MaybeParsedRequest, maxBytes: number): Promise<ObtainedBody> {
  const captured = req.rawBody ?? (isBytes(req.body) ? req.body : undefined);
  if (isBytes(captured)) {
    const raw = typeof captured === 'string' ? Buffer.from(captured, 'utf8') : captured;
    if (raw.length > maxBytes) throw bodyInvalid('Webhook body too large.', 413);
    return { raw };
  }
  if (req.readableEnded || req._body === true) return { parsed: req.body };
  return { raw: await readStream(req, maxBytes) };
}

function isBytes(value: unknown): value is Buffer | string {
  return Buffer.isBuffer(value) || typeof value === 'string';
}

function readStream(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Refuse before reading a byte; drain what arrives so the connection can still carry our answer.
    req.resume();
    return Promise.reject(bodyInvalid('Webhook body too large.', 413));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        chunks.length = 0;
        req.resume();
        reject(bodyInvalid('Webhook body too large.', 413));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new VerifyPushError('WEBHOOK_BODY_INVALID', 'Could not read the webhook body.', { cause: error }));
    };
    const onClose = (): void => {
      cleanup();
      reject(bodyInvalid('The webhook body was cut short.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(raw: Buffer): string {
  try {
    return STRICT_UTF8.decode(raw);
  } catch {
    throw bodyInvalid('Webhook body is not valid UTF-8.');
  }
}

/**
 * A flat map of string parameters. Refused: duplicates and arrays (which value would the signature and
 * our reading each use?), nested keys like `a[b]` (a qs-style parser would turn them into objects), empty
 * names, bad percent-escapes, and more than MAX_WEBHOOK_PARAMS entries.
 */
export function formParams(body: ObtainedBody): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  const add = (name: string, value: unknown): void => {
    if (name === '' || /[[\]]/.test(name)) throw bodyInvalid('Webhook parameters must be flat names.');
    if (typeof value !== 'string') throw bodyInvalid('Each webhook parameter must appear once, as text.');
    if (Object.prototype.hasOwnProperty.call(params, name)) throw bodyInvalid('Duplicate webhook parameter.');
    params[name] = value;
    count += 1;
    if (count > MAX_WEBHOOK_PARAMS) throw bodyInvalid('Too many webhook parameters.');
  };
  if ('raw' in body) {
    const text = decodeUtf8(body.raw);
    for (const pair of text.split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      const name = decodeFormComponent(equals === -1 ? pair : pair.slice(0, equals));
      const value = decodeFormComponent(equals === -1 ? '' : pair.slice(equals + 1));
      add(name, value);
    }
    return params;
  }
  const parsed = body.parsed;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bodyInvalid('The webhook body was consumed by another parser and is not usable.');
  }
  for (const [name, value] of Object.entries(parsed)) add(name, value);
  return params;
}

function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw bodyInvalid('Webhook body has a malformed percent-escape.');
  }
}

/**
 * The top-level fields of a JSON webhook. Only call this after the body's signature was checked.
 * Guess: a JSON webhook is a flat object like the form one; nested values are tolerated (their bytes are
 * signed) but never read, and the fields we do read must be strings (checked by the caller).
 */
export function jsonParams(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeUtf8(raw)) as unknown;
  } catch (error) {
    if (error instanceof VerifyPushError) throw error;
    throw bodyInvalid('Webhook body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bodyInvalid('A JSON webhook body must be an object.');
  }
  if (Object.keys(parsed).length > MAX_WEBHOOK_PARAMS) throw bodyInvalid('Too many webhook parameters.');
  return parsed as Record<string, unknown>;
}
