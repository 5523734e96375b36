import type { IncomingMessage, ServerResponse } from 'node:http';
import twilio from 'twilio';
import { VerifyPushError, isVerifyPushError } from '../errors.js';
import { isSid } from '../sids.js';
import { wholeNumber } from '../validate.js';
import type { OutcomeRecorder } from '../flow/recorder.js';
import { newOperationId } from '../flow/records.js';
import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { TwilioChallenge } from '../twilio/resources.js';
import type { VerifyPort } from '../twilio/verify-api.js';
import { contentKind, formParams, jsonParams, obtainBody, type MaybeParsedRequest } from './webhook-body.js';
import { sendJson } from './json.js';
import { CONFIRM_BUDGET_MS, confirmFactorChange, FACTOR_EVENTS, type FactorEventDeps } from './webhook-factors.js';

export interface WebhookDeps extends Omit<FactorEventDeps, 'api'> {
  /** Only confirming reads are used: the webhook's own claims are never trusted. */
  api: Pick<VerifyPort, 'fetchChallenge' | 'listPushFactors'>;
  /** The strategy's guarded store: its failures arrive as STORE_ERROR (503), so Twilio retries the delivery. */
  store: ChallengeStore;
  accountSid: string;
  serviceSid: string;
  /** The Twilio auth token the signatures are made with. */
  authToken: string;
  clock: () => number;
  /** Checks the fetched challenge against the record and compare-and-sets the outcome. */
  recorder: Pick<OutcomeRecorder<unknown>, 'record' | 'finishDenial'>;
}

export interface WebhookOptions {
  /**
   * The exact public URL Twilio calls, as configured on the Verify service's webhook (scheme, host, port,
   * path). Required. Signatures are checked against this URL, never one rebuilt from `Host` or
   * `X-Forwarded-*` headers, which the sender controls.
   */
  url: string;
  /** Largest body accepted, in bytes. Default 16384 (16 KiB); Twilio's events are a few hundred bytes. */
  maxBodyBytes?: number;
}

export type WebhookMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
const MAX_BODY_BYTES_LIMIT = 1024 * 1024;
/** How long a delivery id is remembered. Guess: Twilio does not retry a delivery a day later. */
const DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;
const CHALLENGE_EVENTS = new Set(['challenge.approved', 'challenge.denied']);
/** Guess: Twilio's `uuid` is a UUID; anything that is not a short token of this shape is not from Twilio. */
const DELIVERY_ID = /^[A-Za-z0-9-]{1,64}$/;

type Outcome = 'settled' | 'ignored' | 'duplicate';

/**
 * The webhook endpoint for Twilio Verify's challenge events (mount it with `strategy.webhook({ url })`).
 *
 * It treats a webhook as a signed *hint*: after checking the signature it confirms the challenge with a fetch
 * from Twilio and lets the recorder write the outcome to the store, which wakes the waiting login request.
 * It never logs anyone in and never reads a session: Twilio's request carries no user cookie.
 */
export function createWebhookHandler(deps: WebhookDeps, options: WebhookOptions): WebhookMiddleware {
  const url = checkUrl(options?.url);
  const maxBodyBytes = checkMaxBodyBytes(options?.maxBodyBytes);
  // An empty token would let anyone compute a valid signature (HMAC with an empty key).
  if (typeof deps.authToken !== 'string' || deps.authToken.length === 0) {
    throw new VerifyPushError('INVALID_OPTION', 'The webhook needs the Twilio authToken to check signatures.');
  }
  const config: HandlerConfig = { deps, url, maxBodyBytes };
  return function verifyPushWebhook(req, res, next) {
    handleWebhook(config, req as MaybeParsedRequest, res).then(
      (answer) => send(res, answer),
      (error: unknown) => {
        if (isVerifyPushError(error)) send(res, { status: error.status, body: { error: error.code } });
        else next(error);
      },
    );
  };
}

interface HandlerConfig {
  deps: WebhookDeps;
  url: string;
  maxBodyBytes: number;
}

interface Answer {
  status: number;
  body: Record<string, string>;
}

function checkUrl(value: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.hash !== '') {
    throw new VerifyPushError(
      'INVALID_OPTION',
      'The webhook option `url` must be the absolute http(s) URL Twilio calls, exactly as configured on the service.',
    );
  }
  return value as string;
}

function checkMaxBodyBytes(value: unknown): number {
  return wholeNumber('maxBodyBytes', value, DEFAULT_MAX_BODY_BYTES, { min: 1024, max: MAX_BODY_BYTES_LIMIT, unit: 'bytes' });
}

function signatureInvalid(message: string): VerifyPushError {
  return new VerifyPushError('WEBHOOK_SIGNATURE_INVALID', message);
}

function bodyInvalid(message: string): VerifyPushError {
  return new VerifyPushError('WEBHOOK_BODY_INVALID', message);
}

/**
 * The URL Twilio signed: our configured URL with the query string actually received (Twilio adds
 * `bodySHA256` there for JSON bodies). Host, scheme and path never come from the request.
 */
function signedUrl(configured: string, req: MaybeParsedRequest): string {
  const received = req.originalUrl ?? req.url ?? '';
  const queryStart = received.indexOf('?');
  if (queryStart === -1) return configured;
  const base = configured.includes('?') ? configured.slice(0, configured.indexOf('?')) : configured;
  return base + received.slice(queryStart);
}

/**
 * Signature first, content second: nothing in an unauthenticated body is looked at beyond its syntax
 * (a form body has to be split into parameters to check its signature; a JSON body is parsed only after).
 */
async function authenticatedEvent(config: HandlerConfig, req: MaybeParsedRequest): Promise<Record<string, unknown>> {
  const kind = contentKind(req);
  const body = await obtainBody(req, config.maxBodyBytes);
  const url = signedUrl(config.url, req);
  const token = config.deps.authToken;

  if (kind === 'form') {
    const params = formParams(body);
    const signature = signatureHeader(req);
    if (!safely(() => twilio.validateRequest(token, signature, url, params))) {
      throw signatureInvalid('Bad X-Twilio-Signature.');
    }
    return params;
  }

  // A JSON body is signed through its hash in the URL, so we need its exact bytes.
  if (!('raw' in body)) {
    throw bodyInvalid('A JSON webhook needs the raw body: mount the webhook before express.json(), or keep req.rawBody.');
  }
  const signature = signatureHeader(req);
  if (!safely(() => new URL(url).searchParams.has('bodySHA256'))) {
    throw signatureInvalid('A JSON webhook must be signed through bodySHA256 in its URL.');
  }
  if (!safely(() => twilio.validateRequestWithBody(token, signature, url, body.raw.toString('utf8')))) {
    throw signatureInvalid('Bad X-Twilio-Signature or body hash.');
  }
  return jsonParams(body.raw);
}

function signatureHeader(req: MaybeParsedRequest): string {
  const signature = req.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || signature === '') throw signatureInvalid('Missing X-Twilio-Signature.');
  return signature;
}

/** twilio's validators throw on URLs they cannot parse: that is a failed check, not a crash. */
function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/** A field we act on: absent, or a string. Anything else in a signed body is still malformed. */
function field(event: Record<string, unknown>, name: string): string | undefined {
  const value = event[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw bodyInvalid(`Webhook field ${name} must be a string.`);
  return value;
}

async function handleWebhook(config: HandlerConfig, req: MaybeParsedRequest, res: ServerResponse): Promise<Answer> {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return { status: 405, body: { error: 'WEBHOOK_BODY_INVALID' } };
  }
  const { deps } = config;
  const event = await authenticatedEvent(config, req);

  // Events for another account or service are someone else's business (a shared endpoint, a
  // misconfigured service): acknowledge them so Twilio does not retry, and change nothing.
  if (field(event, 'account_sid') !== deps.accountSid || field(event, 'service_sid') !== deps.serviceSid) {
    return ignored();
  }
  const type = field(event, 'type') ?? '';
  if (!CHALLENGE_EVENTS.has(type) && !FACTOR_EVENTS.has(type)) return ignored();

  const challengeSid = CHALLENGE_EVENTS.has(type) ? field(event, 'challenge_sid') : undefined;
  // Checked before any store or network use, so the value can never steer a request path.
  if (CHALLENGE_EVENTS.has(type) && !isSid('challenge', challengeSid)) throw bodyInvalid('Webhook challenge_sid is not a challenge sid.');
  const uuid = field(event, 'uuid');
  if (uuid !== undefined && !DELIVERY_ID.test(uuid)) throw bodyInvalid('Webhook uuid is malformed.');

  // Dedupe on the delivery id. The claim is taken up front so that two copies arriving together cause one
  // fetch, not two; a copy of a delivery that succeeded (or is in progress) finds it taken and is a no-op. A
  // failed attempt releases it, so Twilio's retry of a delivery we failed is processed.
  // Guess: the uuid stays the same across Twilio's retries of one delivery (a new one is handled as new).
  const claimKey = uuid === undefined ? undefined : `webhook:${uuid}`;
  const owner = newOperationId();
  if (claimKey !== undefined && !(await deps.store.claim(claimKey, DEDUPE_TTL_MS, owner))) {
    return { status: 200, body: { result: 'duplicate' satisfies Outcome } };
  }
  try {
    if (challengeSid === undefined) {
      const told = await confirmFactorChange(deps, type, { identity: field(event, 'entity_identity'), factorSid: field(event, 'factor_sid') });
      return told ? { status: 200, body: { result: 'settled' satisfies Outcome } } : ignored();
    }
    return await confirmAndSettle(deps, event, type, challengeSid);
  } catch (error) {
    if (claimKey !== undefined && (!isVerifyPushError(error) || error.status >= 500)) {
      // The store is likely what failed; if the release fails too, the login still completes by polling.
      await deps.store.release(claimKey, owner).catch(() => undefined);
    }
    throw error;
  }
}

function worthConfirming(record: ChallengeRecord, type: string): boolean {
  if (record.status === 'pending') return true;
  return type === 'challenge.denied' && (record.status === 'superseded' || record.status === 'expired');
}

function ignored(): Answer {
  return { status: 200, body: { result: 'ignored' satisfies Outcome } };
}

async function confirmAndSettle(
  deps: WebhookDeps,
  event: Record<string, unknown>,
  type: string,
  challengeSid: string,
): Promise<Answer> {
  const record = await deps.store.get(challengeSid);
  // Unknown (never ours, or long gone) and already-settled challenges cost no Twilio call. A denial is the
  // exception: the phone can deny a challenge we superseded or expired (Twilio cannot cancel it), and every
  // denial must count toward the user's denial limit.
  if (record === undefined || record.serviceSid !== deps.serviceSid) return ignored();
  // Twilio's retry of a denial whose count we failed to finish (the store went down between the writes).
  if (record.status === 'denied' && record.denialCounted === false) {
    await deps.recorder.finishDenial(record);
    return { status: 200, body: { result: 'settled' satisfies Outcome } };
  }
  if (!worthConfirming(record, type)) return ignored();
  // The event must describe the challenge we recorded. Guess: Twilio always sends entity_identity and
  // factor_sid; when absent, the confirming fetch (made with the record's identity) is the check.
  const identity = field(event, 'entity_identity');
  const factorSid = field(event, 'factor_sid');
  if ((identity !== undefined && identity !== record.identity) || (factorSid !== undefined && factorSid !== record.factorSid)) {
    return ignored();
  }

  let challenge: TwilioChallenge;
  try {
    challenge = await deps.api.fetchChallenge(record.identity, challengeSid, deps.clock() + CONFIRM_BUDGET_MS);
  } catch (error) {
    // Twilio no longer knowing the challenge will not change on a retry.
    if (isVerifyPushError(error) && error.code === 'CHALLENGE_NOT_FOUND') return ignored();
    throw error;
  }
  try {
    await deps.recorder.record(record, challenge);
  } catch (error) {
    if (isVerifyPushError(error) && error.status < 500) return ignored();
    throw error;
  }
  return { status: 200, body: { result: 'settled' satisfies Outcome } };
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  // After refusing an oversized body we may not have read it all: do not reuse the connection.
  if (answer.status === 413) res.setHeader('Connection', 'close');
  sendJson(res, answer.status, answer.body);
}
