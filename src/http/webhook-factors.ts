import { VerifyPushError } from '../errors.js';
import { isIdentity, isSid } from '../sids.js';
import type { VerifyPort } from '../twilio/verify-api.js';

export interface FactorEventDeps {
  api: Pick<VerifyPort, 'listPushFactors'>;
  /** The strategy's clock: Twilio calls' deadlines are measured on it. */
  clock: () => number;
  /** Told of a device added or removed, once Twilio's own list confirms it. */
  deviceChanged(event: { kind: 'added' | 'removed'; identity: string; factorSid: string }): Promise<void>;
}

/**
 * Time allowed for a webhook's confirming read from Twilio, retries included.
 * Guess: Twilio waits about 15 s for a webhook answer; answering within that keeps its retry (if any) useful.
 */
export const CONFIRM_BUDGET_MS = 10_000;

export const FACTOR_EVENTS: ReadonlySet<string> = new Set(['factor.verified', 'factor.deleted']);

/**
 * Twilio's factor events, as signed hints like the challenge events: a device verified (`factor.verified`)
 * or deleted (`factor.deleted`) for one identity. The identity and factor sid are checked against their
 * patterns before any use, and the user's factor list, fetched from Twilio, must agree (the factor verified, or
 * gone) before the app is told. Answers whether it told.
 */
export async function confirmFactorChange(deps: FactorEventDeps, type: string, event: { identity: unknown; factorSid: unknown }): Promise<boolean> {
  const { identity, factorSid } = event;
  if (!isIdentity(identity) || !isSid('factor', factorSid)) {
    throw new VerifyPushError('WEBHOOK_BODY_INVALID', 'A factor event needs a well-formed entity_identity and factor_sid.');
  }
  const factors = await deps.api.listPushFactors(identity, deps.clock() + CONFIRM_BUDGET_MS);
  const factor = factors.find((candidate) => candidate.sid === factorSid);
  if (type === 'factor.verified') {
    if (factor?.status !== 'verified') return false;
    await deps.deviceChanged({ kind: 'added', identity, factorSid });
    return true;
  }
  if (factor !== undefined) return false;
  await deps.deviceChanged({ kind: 'removed', identity, factorSid });
  return true;
}
