/** passport-twilio-verify-push: Twilio Verify Push as a Passport strategy. Public exports only. */
export { VerifyPushStrategy, VerifyPushStrategy as Strategy } from './passport/strategy.js';
export type { VerifyPushAuthenticateOptions, VerifyPushFailure, VerifyPushStatus } from './passport/strategy.js';
export type {
  ApprovedChallenge,
  ChallengeContext,
  DeniedEvent,
  RateLimit,
  RateLimitOptions,
  VerifyDone,
  VerifyFunction,
  VerifyFunctionWithRequest,
  VerifyPushOptions,
  VerifyPushRequest,
} from './options.js';
export type { PendingBody } from './passport/pending-response.js';
export type { ResendResult } from './http/resend.js';
export { defaultFields, defaultMessage } from './flow/details.js';

export { VerifyPushError, isVerifyPushError } from './errors.js';
export type { VerifyPushErrorCode, VerifyPushErrorOptions } from './errors.js';

export { MemoryChallengeStore } from './stores/memory.js';
export type { MemoryChallengeStoreOptions, MemoryStoreStats } from './stores/memory.js';
export type { ChallengeStore, ChallengeRecord, ChallengeStatus, ChallengeListener, CounterResult } from './stores/types.js';

export { createEventsHandler } from './http/events.js';
export type { EventsDeps, EventsHandler, EventsOptions, WaitEvent, WaitState, WaitStatusSource } from './http/events.js';
export type { WebhookMiddleware, WebhookOptions } from './http/webhook.js';
export type {
  AccessTokenOptions,
  EnrolmentHandlers,
  EnrolmentMiddleware,
  EnrolmentToken,
  FactorSummary,
} from './http/enrolment.js';

export type { TwilioClientLike } from './twilio/http.js';
export type { TwilioChallenge, PushFactor, AccessToken, DetailField } from './twilio/verify-api.js';
