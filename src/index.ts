/** passport-twilio-verify-push: Twilio Verify Push as a Passport strategy. Public exports only. */
export { VerifyPushStrategy, VerifyPushStrategy as Strategy } from './passport/strategy.js';
export type {
  ActionDescription,
  ApprovedAction,
  ApprovedChallenge,
  DeviceChangeEvent,
  PushPurpose,
  RememberBrowserOptions,
  ChallengeContext,
  DeniedEvent,
  DetailField,
  PendingBody,
  PushFactor,
  RateLimit,
  RateLimitOptions,
  TwilioClientLike,
  VerifyDone,
  VerifyFunction,
  VerifyFunctionWithRequest,
  VerifyPushAuthenticateOptions,
  VerifyPushFailure,
  VerifyPushOptions,
  VerifyPushRequest,
  VerifyPushSessionData,
  VerifyPushStatus,
  WaitState,
} from './types.js';
export { defaultFields, defaultMessage } from './flow/details.js';

export { VerifyPushError, isVerifyPushError } from './errors.js';
export type { VerifyPushErrorCode, VerifyPushErrorOptions } from './errors.js';

export { MemoryChallengeStore } from './stores/memory.js';
export type { MemoryChallengeStoreOptions, MemoryStoreStats } from './stores/memory.js';
export type { ChallengeStore, ChallengeRecord, ChallengeStatus, ChallengeListener, CounterResult } from './stores/types.js';

// What the strategy's middleware factories return and take, named so apps can type their own wiring.
export type { EventsMiddleware, EventsOptions } from './http/events.js';
export type { WaitEvent } from './http/events-wire.js';
export type { WebhookMiddleware, WebhookOptions } from './http/webhook.js';
export type { ResendMiddleware, ResendResult } from './http/resend.js';
export type { ApproveActionMiddleware } from './http/approve-action.js';
export type {
  AccessTokenOptions,
  EnrolmentHandlers,
  EnrolmentMiddleware,
  EnrolmentRequest,
  EnrolmentToken,
  FactorSummary,
} from './http/enrolment.js';
