/**
 * The middlewares a strategy hands out besides itself (`webhook()`, `events()`, `resend()`, `enrolment()`),
 * each built from the strategy's parts. They never log anyone in; only `passport.authenticate` does.
 */
import { VerifyPushError } from '../errors.js';
import { resolveIdentity } from '../flow/identity.js';
import { createApproveActionMiddleware, type ApproveActionMiddleware } from '../http/approve-action.js';
import { createEnrolmentHandlers, type EnrolmentHandlers } from '../http/enrolment.js';
import { createEventsHandler, type EventsMiddleware, type EventsOptions } from '../http/events.js';
import { createResendHandler, type ResendMiddleware } from '../http/resend.js';
import { createWebhookHandler, type WebhookMiddleware, type WebhookOptions } from '../http/webhook.js';
import { isFresh, verifiedMark } from '../session/marks.js';
import type { ActionDescription, VerifyPushRequest } from '../types.js';
import type { StrategyParts } from './wiring.js';

export function webhookEndpoint<User>(parts: StrategyParts<User>, options: WebhookOptions): WebhookMiddleware {
  const { authToken, accountSid, serviceSid, clock } = parts.options;
  if (authToken === undefined) {
    throw new VerifyPushError(
      'INVALID_OPTION',
      'The `authToken` option is required for the webhook: Twilio signs webhooks with the auth token.',
    );
  }
  const handler = createWebhookHandler(
    {
      api: parts.api,
      store: parts.store,
      accountSid,
      serviceSid,
      authToken,
      clock,
      recorder: parts.recorder,
      deviceChanged: (change) => parts.devices.changed(change),
    },
    options,
  );
  parts.webhooks.handlerMounted();
  return handler;
}

export function eventsEndpoint<User>(parts: StrategyParts<User>, options: EventsOptions | undefined): EventsMiddleware {
  return createEventsHandler<VerifyPushRequest>(
    {
      status: (req) => parts.challenges.status(req),
      store: parts.store,
      pendingChallengeSid: (req) => parts.challenges.pendingChallengeSid(req),
      webhooksExpected: () => parts.webhooks.expected(),
      pollIntervalMs: parts.options.pollIntervalMs,
      now: parts.options.clock,
    },
    options,
  );
}

export function resendEndpoint<User>(parts: StrategyParts<User>): ResendMiddleware {
  return createResendHandler<VerifyPushRequest>({
    api: parts.api,
    recorder: parts.recorder,
    store: parts.store,
    clock: parts.options.clock,
    locate: async (req) => {
      const own = await parts.challenges.own(req);
      if (!own) throw new VerifyPushError('NOT_AUTHENTICATED', 'Sign in with your password first.');
      return own.record ? { identity: own.identity, record: own.record } : undefined;
    },
  });
}

export function enrolmentEndpoints<User>(parts: StrategyParts<User>): EnrolmentHandlers<User> {
  const { options, devices } = parts;
  return createEnrolmentHandlers<User>({
    api: parts.api,
    serviceSid: options.serviceSid,
    identityOf: (user, req) => resolveIdentity(options, user, req as VerifyPushRequest | undefined),
    getUser: (req) => options.getUser(req as VerifyPushRequest),
    approval: (req, identity) => {
      const now = options.clock();
      const mark = verifiedMark(req as VerifyPushRequest, identity, now, options.maxAgeMs);
      if (!mark) return 'none';
      return isFresh(mark, now, options.deviceChangeMaxAgeMs) ? 'fresh' : 'stale';
    },
    deviceChanged: ({ req, ...change }) => devices.changed({ ...change, req: req as VerifyPushRequest }),
  });
}

export function approveActionEndpoint<User>(
  parts: StrategyParts<User>,
  describe: (req: VerifyPushRequest) => ActionDescription | Promise<ActionDescription>,
): ApproveActionMiddleware {
  if (typeof describe !== 'function') {
    throw new VerifyPushError('INVALID_OPTION', 'strategy.approve(describe) needs a function that describes the action from the request.');
  }
  return createApproveActionMiddleware(
    { options: parts.options, starter: parts.starter, completer: parts.completer, approved: parts.approvedActions },
    describe,
  );
}
