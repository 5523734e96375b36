import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkAction } from '../flow/action.js';
import type { Completer } from '../flow/complete.js';
import { resolveIdentity } from '../flow/identity.js';
import type { Outcome } from '../flow/outcome.js';
import type { Asker } from '../flow/recorder.js';
import type { Starter } from '../flow/start.js';
import type { ResolvedOptions } from '../options.js';
import { readPending, verifiedMark } from '../session/marks.js';
import { saveSession, sessionOf } from '../session/regenerate.js';
import { VerifyPushError, isVerifyPushError } from '../errors.js';
import type { ActionDescription, ApprovedAction, VerifyPushRequest } from '../types.js';
import { sendJson } from './json.js';
import { pendingBody, respondPending, wantsJson } from './pending-response.js';

export interface ApproveActionDeps<User> {
  options: ResolvedOptions<User>;
  starter: Starter<User>;
  completer: Completer<User>;
  /** Where the handler finds the approved action of its request. */
  approved: WeakMap<IncomingMessage, ApprovedAction>;
}

/** The middleware `strategy.approve(describe)` returns. */
export type ApproveActionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Transaction approval with dynamic linking: one sensitive action (a payment, an API key shown, a device
 * added) goes through only once a push showing exactly that action was approved on the user's device, in this
 * session, and only once. The route describes the action on every request; its digest (type, values, and what
 * the phone shows) goes into the challenge's hidden details beside the transaction id, and the approval is
 * checked against Twilio's stored copy of the challenge (digest, message and fields) before it is used. The
 * same request with another amount or payee is another action: it needs its own approval. A JSON client repeats
 * the request after `pollAfterMs` (202 meanwhile); a browser is sent to the waiting page.
 */
export function createApproveActionMiddleware<User>(
  deps: ApproveActionDeps<User>,
  describe: (req: VerifyPushRequest) => ActionDescription | Promise<ActionDescription>,
): ApproveActionMiddleware {
  return (rawReq, res, next) => {
    const req = rawReq as VerifyPushRequest;
    approve(deps, describe, req).then(
      (result) => {
        if (result === 'approved') next();
        else answer(deps, req, res, result);
      },
      (error: unknown) => {
        if (isVerifyPushError(error) && error.status < 500 && !res.headersSent) {
          sendJson(res, error.status, { error: error.code, message: error.message });
        } else next(error);
      },
    );
  };
}

async function approve<User>(
  deps: ApproveActionDeps<User>,
  describe: (req: VerifyPushRequest) => ActionDescription | Promise<ActionDescription>,
  req: VerifyPushRequest,
): Promise<'approved' | Outcome<User>> {
  const { options, starter, completer } = deps;
  sessionOf(req);
  const user = options.getUser(req);
  if (!user) throw new VerifyPushError('NOT_AUTHENTICATED', 'Sign in first.');
  const identity = await resolveIdentity(options, user, req);
  // Approving an action is for a signed-in user: a password alone does not even get a push.
  if (!verifiedMark(req, identity, options.clock(), options.maxAgeMs)) {
    throw new VerifyPushError('SECOND_FACTOR_REQUIRED', 'Finish signing in before approving this action.');
  }
  const action = checkAction(await describe(req));
  const asker: Asker<User> = { user, req };
  const mark = readPending(req);
  const ours = mark?.purpose === 'action' && mark.actionDigest === action.digest && mark.identity === identity;
  if (!mark || !ours) {
    return starter.start(asker, identity, { purpose: 'action', message: action.message, fields: action.fields, actionDigest: action.digest });
  }
  const checked = await completer.check(asker, mark);
  if (!('approved' in checked)) return checked.outcome;
  const used = await completer.consume(asker, checked.approved);
  if (used) return used;
  await saveSession(req);
  const record = checked.approved;
  deps.approved.set(req, {
    type: action.type,
    data: action.data,
    message: action.message,
    fields: action.fields,
    digest: action.digest,
    challengeSid: record.challengeSid,
    factorSid: record.factorSid,
    transactionId: record.transactionId,
    approvedAt: new Date(record.settledAt ?? options.clock()),
  });
  return 'approved';
}

/** The action is not approved (yet): pending, or why not, as JSON (and a browser goes to the waiting page). */
function answer<User>(deps: ApproveActionDeps<User>, req: VerifyPushRequest, res: ServerResponse, outcome: Outcome<User>): void {
  if (res.headersSent) return;
  switch (outcome.kind) {
    case 'pending':
      respondPending(res, pendingBody(outcome.pending, deps.options.pollIntervalMs), wantsJson(req), deps.options.waitUrl);
      return;
    case 'fail':
      if (outcome.info.retryAfter !== undefined) res.setHeader('Retry-After', String(outcome.info.retryAfter));
      sendJson(res, outcome.status, { error: outcome.info.code, message: outcome.info.message });
      return;
    default:
      // The action flow never passes, logs in or errors through an outcome; this is a programming error.
      sendJson(res, 500, { error: 'INTERNAL' });
  }
}
