import { challengeNotFound, invalidParameter, TwilioApiError } from '../errors.js';
import { verifyEs256, type JwtFields } from '../jwt.js';
import type { RouteContext, RouteResult } from '../route-context.js';
import { challengeJson } from '../serialize.js';
import type { ChallengeRecord } from '../state.js';
import type { ChallengeJson } from '../types.js';
import { LIMITS, parseMetadata } from './challenge-input.js';

/**
 * The challenge fields a device must sign when it answers, sent comma-separated in the
 * `Twilio-Verify-Signature-Fields` header of a challenge fetch. The SDKs read the header only from the fetch of a
 * pending challenge, then sign a JWT (header `{ typ, alg }` only, no `kid`) whose claims are each named field
 * with its value from the fetched JSON plus `status` (twilio-verify-android domain/challenge/ChallengeMapper.kt
 * and PushChallengeProcessor.kt `generateSignature`; twilio-verify-ios Sources/Domain/Challenge/ChallengeMapper.swift
 * and PushChallengeProcessor.swift).
 * Guess: Twilio's list is not public (the SDKs' tests use made-up ones); these bind the answer to this
 * challenge, its factor, what the user was shown and what the app hid in it.
 */
export const SIGNATURE_FIELDS = ['sid', 'factor_sid', 'date_created', 'expiration_date', 'details', 'hidden_details'] as const;
export const SIGNATURE_FIELDS_HEADER = 'Twilio-Verify-Signature-Fields';

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** https://www.twilio.com/docs/api/errors/60324: for a push challenge, the signature in AuthPayload is invalid (403). */
function badSignature(): TwilioApiError {
  return new TwilioApiError(403, 60324, 'Challenge verification failed');
}

/** Checks the device's JWT against the factor's key and the challenge as it stands; returns the answer. */
function verifiedAnswer(claims: JwtFields | undefined, current: ChallengeJson): 'approved' | 'denied' {
  if (!claims) throw badSignature();
  for (const field of SIGNATURE_FIELDS) {
    if (!sameJson(claims[field], current[field])) throw badSignature();
  }
  const status = claims['status'];
  if (status !== 'approved' && status !== 'denied') throw invalidParameter('the signed status must be approved or denied');
  return status;
}

/**
 * Refuses answers Twilio refuses: to an expired (60323) or already answered (60322) challenge, both 403
 * (https://www.twilio.com/docs/api/errors/60322, /60323).
 */
function assertAnswerable(challenge: ChallengeRecord): void {
  if (challenge.status === 'expired') throw new TwilioApiError(403, 60323, 'Challenge expired');
  if (challenge.status !== 'pending') throw new TwilioApiError(403, 60322, 'Challenge already responded');
}

export function answerChallenge(ctx: RouteContext, challenge: ChallengeRecord, includeDate: boolean): RouteResult {
  const state = ctx.env.state;
  const factor = state.factors.get(challenge.factorSid);
  if (!factor) throw challengeNotFound();
  const authPayload = ctx.params.get('AuthPayload');
  if (authPayload === undefined || authPayload === '') throw invalidParameter('AuthPayload is required');
  if (authPayload.length > LIMITS.authPayloadLength) throw invalidParameter('AuthPayload is too long');
  assertAnswerable(challenge);
  const status = verifiedAnswer(verifyEs256(authPayload, factor.publicKey), challengeJson(ctx.env, challenge, includeDate));
  const metadata = parseMetadata(ctx.params);

  const now = state.now();
  challenge.status = status;
  challenge.dateResponded = now;
  challenge.dateUpdated = now;
  if (metadata) challenge.metadata = metadata;
  const event = {
    type: status === 'approved' ? 'challenge.approved' : 'challenge.denied',
    serviceSid: challenge.serviceSid,
    identity: challenge.identity,
    factorSid: challenge.factorSid,
    challengeSid: challenge.sid,
  } as const;
  return {
    status: 200,
    body: challengeJson(ctx.env, challenge, includeDate),
    // Twilio answers the device first and calls the webhooks afterwards.
    afterResponse: () => ctx.env.events.emit(event),
  };
}
