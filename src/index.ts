/** passport-twilio-verify-push: Twilio Verify Push as a Passport strategy. Public exports only. */
export { VerifyPushStrategy, VerifyPushStrategy as Strategy } from './strategy.js';
export type { VerifyPushAuthenticateOptions, VerifyPushFailure, VerifyPushStatus } from './strategy.js';
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
export type { PendingBody } from './pending-response.js';
export type { ResendResult } from './resend.js';
export { defaultFields, defaultMessage } from './details.js';

export { VerifyPushError, isVerifyPushError } from './errors.js';
export type { VerifyPushErrorCode, VerifyPushErrorOptions } from './errors.js';

export { MemoryChallengeStore } from './stores/memory.js';
export type { MemoryChallengeStoreOptions, MemoryStoreStats } from './stores/memory.js';
export type { ChallengeStore, ChallengeRecord, ChallengeStatus, ChallengeListener, CounterResult } from './stores/types.js';

export { createEventsHandler } from './events.js';
export type { EventsDeps, EventsHandler, EventsOptions, WaitEvent, WaitState, WaitStatusSource } from './events.js';
export type { WebhookMiddleware, WebhookOptions } from './webhook.js';
export type {
  AccessTokenOptions,
  EnrolmentHandlers,
  EnrolmentMiddleware,
  EnrolmentToken,
  FactorSummary,
} from './enrolment.js';

export type { TwilioClientLike } from './twilio-http.js';
export type { TwilioChallenge, PushFactor, AccessToken, DetailField } from './verify-api.js';
