import type { IncomingMessage } from 'node:http';
import { VerifyPushError } from '../errors.js';
import { jsonMiddleware, sendJson, type JsonMiddleware } from './json.js';
import type { OutcomeRecorder } from '../flow/recorder.js';
import { newOperationId } from '../flow/records.js';
import type { ChallengeRecord, ChallengeStore } from '../stores/types.js';
import type { VerifyPort } from '../twilio/verify-api.js';

/**
 * Twilio sends at most 3 notifications per challenge (error 60309), and its error page counts them per
 * challenge, the push sent at creation included: so 2 re-sends. Should Twilio allow a third, we merely offer
 * one fewer; should it refuse one earlier, its 60309 still ends as a clean 429, never a 5xx.
 */
export const MAX_RESENDS = 2;

export interface ResendResult {
  sent: true;
  /** How many more times this challenge can be sent to the phone. */
  remaining: number;
}

export interface ResendDeps<Req extends IncomingMessage> {
  api: Pick<VerifyPort, 'resendPush' | 'fetchChallenge'>;
  /** Records what Twilio says when it turns out the phone answered meanwhile. */
  recorder: Pick<OutcomeRecorder<unknown>, 'record'>;
  store: ChallengeStore;
  clock: () => number;
  /** The session's own challenge (never one named by the client), or undefined when there is none. */
  locate(req: Req): Promise<{ identity: string; record: ChallengeRecord } | undefined>;
}

const NOT_PENDING: Record<Exclude<ChallengeRecord['status'], 'pending'>, [VerifyPushError['code'], string]> = {
  approved: ['CHALLENGE_ALREADY_USED', 'This sign-in request was already approved.'],
  completed: ['CHALLENGE_ALREADY_USED', 'This sign-in request was already used.'],
  denied: ['CHALLENGE_DENIED', 'This sign-in request was denied on the phone.'],
  expired: ['CHALLENGE_EXPIRED', 'This sign-in request expired.'],
  superseded: ['CHALLENGE_SUPERSEDED', 'A newer sign-in request replaced this one.'],
};

/**
 * Send the session's pending push again ("I did not get a notification"). Counted in the store before
 * calling Twilio, so however many tabs or instances ask, the phone is buzzed at most MAX_RESENDS times.
 */
export async function resendPendingPush<Req extends IncomingMessage>(deps: ResendDeps<Req>, req: Req): Promise<ResendResult> {
  const found = await deps.locate(req);
  if (!found) throw new VerifyPushError('CHALLENGE_NOT_FOUND', 'There is no sign-in request waiting on the phone.', { status: 409 });
  const { identity, record } = found;
  const now = deps.clock();
  const status = record.status === 'pending' && now >= record.expiresAt ? 'expired' : record.status;
  if (status !== 'pending') throw notPending(status);
  const left = record.expiresAt - now;
  const { count } = await deps.store.increment(`resend:${record.challengeSid}`, left, newOperationId());
  if (count > MAX_RESENDS) {
    throw new VerifyPushError('RATE_LIMITED', `This sign-in request was already sent to the phone ${MAX_RESENDS} more times.`, {
      retryAfter: Math.ceil(left / 1000),
    });
  }
  try {
    await deps.api.resendPush(identity, record.challengeSid, record.expiresAt);
  } catch (error) {
    throw await answeredMeanwhile(deps, identity, record, error);
  }
  return { sent: true, remaining: MAX_RESENDS - count };
}

function notPending(status: Exclude<ChallengeRecord['status'], 'pending'>): VerifyPushError {
  const [code, message] = NOT_PENDING[status];
  return new VerifyPushError(code, message, { status: 409 });
}

/** Twilio's answers meaning the phone answered (60322) or the challenge expired (60323) since we last heard. */
const ANSWERED_CODES: ReadonlySet<number> = new Set([60322, 60323]);

/**
 * The phone answered while the news was still on its way to us (a lost or late webhook, a poll not yet due):
 * Twilio refuses to re-send. Ask Twilio what happened, record it as any poll would (a denial counts), and
 * answer as once the news arrives: 409 with the outcome's code, never a Twilio failure.
 */
async function answeredMeanwhile<Req extends IncomingMessage>(
  deps: ResendDeps<Req>,
  identity: string,
  record: ChallengeRecord,
  error: unknown,
): Promise<unknown> {
  const twilioCode = (error as { twilioCode?: unknown } | null)?.twilioCode;
  if (typeof twilioCode !== 'number' || !ANSWERED_CODES.has(twilioCode)) return error;
  const challenge = await deps.api.fetchChallenge(identity, record.challengeSid, deps.clock() + 5_000).catch(() => undefined);
  const now = challenge === undefined ? record : await deps.recorder.record(record, challenge);
  if (now.status !== 'pending') return notPending(now.status);
  return notPending(twilioCode === 60323 ? 'expired' : 'completed');
}

/** The middleware `strategy.resend()` returns. */
export type ResendMiddleware = JsonMiddleware<IncomingMessage>;

/** POST middleware answering `{ sent: true, remaining }`, or `{ error: code }` with the error's status. */
export function createResendHandler<Req extends IncomingMessage>(deps: ResendDeps<Req>): ResendMiddleware {
  return jsonMiddleware<IncomingMessage>(async (req, res) => sendJson(res, 200, await resendPendingPush(deps, req as Req)));
}
