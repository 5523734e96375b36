export { VerifyPushError, isVerifyPushError } from './errors.js';
export type { VerifyPushErrorCode, VerifyPushErrorOptions } from './errors.js';
export type { ChallengeStore, ChallengeRecord, ChallengeStatus, ChallengeListener, CounterResult } from './stores/types.js';
export type { TwilioClientLike } from './twilio-http.js';
export type { TwilioChallenge, PushFactor, AccessToken, DetailField } from './verify-api.js';
