/**
 * The middlewares a strategy hands out besides itself (`webhook()`, `events()`, `resend()`, `enrolment()`),
 * each built from the strategy's parts. They never log anyone in; only `passport.authenticate` does.
 */
import { VerifyPushError } from '../errors.js';
import { resolveIdentity } from '../flow/identity.js';
import { createEnrolmentHandlers, type EnrolmentHandlers } from '../http/enrolment.js';
import { createEventsHandler, type EventsMiddleware, type EventsOptions } from '../http/events.js';
import { createResendHandler, type ResendMiddleware } from '../http/resend.js';
import { createWebhookHandler, type WebhookMiddleware, type WebhookOptions } from '../http/webhook.js';
import { hasVerifiedMark } from '../session/marks.js';
import type { VerifyPushRequest } from '../types.js';
import type { StrategyParts } from './wiring.js';

export function webhookEndpoint<User>(parts: StrategyParts<User>, options: WebhookOptions): WebhookMiddleware {
  const { authToken, accountSid, serviceSid, clock } = parts.options;
  if (authToken === undefined) {
    throw new VerifyPushError(
      'INVALID_OPTION',
      'The `authToken` option is required for the webhook: Twilio signs webhooks with the auth token.',
    );
  }
  const handler = createWebhookHandler({ api: parts.api, store: parts.store, accountSid, serviceSid, authToken, clock, recorder: parts.recorder }, options);
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
  const { options } = parts;
  return createEnrolmentHandlers<User>({
    api: parts.api,
    serviceSid: options.serviceSid,
    identityOf: (user, req) => resolveIdentity(options, user, req as VerifyPushRequest | undefined),
    getUser: (req) => options.getUser(req as VerifyPushRequest),
    secondFactorDone: (req, identity) => hasVerifiedMark(req as VerifyPushRequest, identity),
  });
}
