/**
 * Public option and record types of the Verify Push emulator.
 * Everything here is exported from `passport-twilio-verify-push/testing`.
 */

/** Milliseconds since the epoch; the emulator reads every date and expiry from it. */
export type Clock = () => number;

export interface EmulatorStartOptions {
  /** TCP port on 127.0.0.1. Default 0 (the OS picks a free one). */
  port?: number;
  /** Account SID the emulator accepts with HTTP Basic auth. Default: a random `AC` + 32 hex. */
  accountSid?: string;
  /** Auth token for Basic auth and for signing webhooks. Default: 32 random hex characters. */
  authToken?: string;
  /** Source of "now" in ms since the epoch, so tests can move time forward. Default `Date.now`. */
  clock?: Clock;
  /** Source of randomness in [0, 1) for probabilistic faults, so tests can be deterministic. Default `Math.random`. */
  random?: () => number;
  /**
   * Time allowed for a webhook delivery, its retry included, in ms: Twilio's total time `tt`. Each attempt also
   * stops after 5 s without a connection (`ct`). Default 15000, Twilio's default.
   */
  webhookTimeoutMs?: number;
  /** Retries of a delivery that got no answer (refused, reset or timed out): Twilio's `rc`, 0–5. Default 1. */
  webhookRetries?: number;
  /**
   * How webhook bodies are sent: `form` (application/x-www-form-urlencoded, every field signed) or `json`
   * (application/json, signed through `bodySHA256` in the URL). Default `form`; `emulator.setWebhookBody()`
   * changes it for one webhook.
   */
  webhookBody?: WebhookBodyFormat;
  /**
   * How long a factor that was never verified lives, in ms. Twilio deletes unverified factors 1 to 24 hours
   * after creation (https://www.twilio.com/docs/api/errors/60318); the default, 1 hour, is the soonest, so an
   * app that leaves enrolment unfinished for longer finds out in its tests.
   */
  unverifiedFactorTtlMs?: number;
}

/**
 * Where an emulator listens and the credentials it accepts: what `emulatorClient` and `emulatorDevice` need
 * to reach an emulator in another process. A `RunningEmulator` is one too.
 */
export interface EmulatorConnection {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  accountSid: string;
  authToken: string;
}

/** The line the emulator server (`npx passport-twilio-verify-push-emulator`) prints on stdout, as JSON. */
export interface EmulatorServerInfo extends EmulatorConnection {
  /** The Verify service it created, when started with `--service`. */
  serviceSid?: string;
}

export interface EmulatorClientOptions {
  /** Request timeout in ms of the returned twilio client. Default: twilio's (30 s). */
  timeout?: number;
  /** twilio's own 429 retry (off by default in twilio). */
  autoRetry?: boolean;
  /** Maximum retries for `autoRetry`. */
  maxRetries?: number;
}

/** Every Verify v2 operation the emulator serves, named for the call log and fault rules. */
export type OperationName =
  | 'createService'
  | 'fetchService'
  | 'listServices'
  | 'createAccessToken'
  | 'fetchAccessToken'
  | 'createEntity'
  | 'fetchEntity'
  | 'listEntities'
  | 'deleteEntity'
  | 'listFactors'
  | 'fetchFactor'
  | 'createFactor'
  | 'updateFactor'
  | 'deleteFactor'
  | 'createChallenge'
  | 'fetchChallenge'
  | 'listChallenges'
  | 'updateChallenge'
  | 'createNotification'
  | 'createWebhook'
  | 'listWebhooks'
  | 'fetchWebhook'
  | 'updateWebhook'
  | 'deleteWebhook';

/** Who made a call: the backend with Basic auth, or the simulated device with its token. */
export type CallSource = 'api' | 'device';

export type FaultKind = 'status' | 'latency' | 'hang' | 'drop';

export interface FaultRule {
  /** The operation the rule applies to, or '*' for every operation. */
  operation: OperationName | '*';
  /** Only calls from this side: the app's own (`api`) or the simulated phone's (`device`). Default both. */
  source?: CallSource;
  /**
   * - `status`: answer with `status` and a Twilio error body (and `Retry-After` when given);
   * - `latency`: wait `latencyMs`, then answer normally;
   * - `hang`: never answer (the client times out; `close()` ends the connection);
   * - `drop`: destroy the connection without an answer.
   */
  kind: FaultKind;
  /** HTTP status for `kind: 'status'`. Default 500. */
  status?: number;
  /**
   * Twilio error `code` in the body of a `status` answer, e.g. `{ kind: 'status', status: 404, code: 60391 }`
   * for "challenge not found". Default: 20404 for 404, 20429 for 429, otherwise 20000 + status.
   */
  code?: number;
  /** `message` in the body of a `status` answer. Default: the title of the code's Twilio error page. */
  message?: string;
  /** Sets the `Retry-After` header (seconds) on a `status` answer. */
  retryAfterSeconds?: number;
  /** Delay for `kind: 'latency'`, in ms. Default 100. */
  latencyMs?: number;
  /** How many matching calls the rule hits before it is used up. Default 1, or unlimited when `probability` is set. */
  times?: number;
  /** Hit each matching call with this probability (0–1) instead of every one. */
  probability?: number;
  /** Do the work first (state changes, webhooks), then fail the response. Default false. */
  afterProcessing?: boolean;
}

/** How a webhook's body is encoded and signed. */
export type WebhookBodyFormat = 'form' | 'json';

export interface WebhookFaultRule {
  /** Drop (never send) the next N deliveries. */
  drop?: number;
  /** Send each of the next N deliveries twice (same `uuid`, as a retrying sender would). */
  duplicate?: number;
  /** Drop each later delivery with this probability (0–1), until `clear()`. */
  dropProbability?: number;
  /** Duplicate each later delivery with this probability (0–1), until `clear()`. */
  duplicateProbability?: number;
  /** The next N attempts (first tries or retries) fail as if the receiver refused the connection. */
  connectionFailures?: number;
  /** The next N attempts reach the receiver, but its answer is lost on the way back, so the emulator retries. */
  lostAnswers?: number;
  /** Whether a retry keeps the `uuid` of the attempt it repeats (`same`, the default) or gets a new one, until `clear()`. */
  retryUuid?: 'same' | 'new';
}

export interface FaultControl {
  add(rule: FaultRule): void;
  webhooks(rule: WebhookFaultRule): void;
  clear(): void;
}

export type CallParams = Record<string, string | string[]>;

export interface CallRecord {
  operation: OperationName | 'unknown';
  method: string;
  /** Path without the query string, e.g. `/v2/Services/VA…/Entities/…/Challenges`. */
  path: string;
  /** Query and form parameters as received; repeated names become arrays. */
  params: CallParams;
  /** Status sent, or 0 when the connection was hung or dropped by a fault. */
  status: number;
  source: CallSource;
  /** Clock time (ms) when the call arrived. */
  at: number;
  /** The fault that hit this call, if any. */
  fault?: FaultKind;
}

export interface CallFilter {
  operation?: OperationName | 'unknown';
  source?: CallSource;
}

export type WebhookEventType =
  | 'factor.created'
  | 'factor.verified'
  | 'factor.deleted'
  | 'challenge.approved'
  | 'challenge.denied';

export interface WebhookDelivery {
  /** The event's `uuid` (shared by duplicates of one delivery, and by its retries unless a fault says otherwise). */
  uuid: string;
  type: WebhookEventType;
  webhookSid: string;
  /** The URL POSTed to: the webhook's, plus `bodySHA256` for a JSON body. */
  url: string;
  format: WebhookBodyFormat;
  /** The event's fields as sent (or as they would have been sent, when dropped). */
  params: Record<string, string>;
  /** The `X-Twilio-Signature` header sent. */
  signature: string;
  /** `sent`: answered 2xx; `failed`: non-2xx or no answer; `dropped`: withheld by a fault. */
  outcome: 'sent' | 'failed' | 'dropped';
  /** 1 for the first try, then 2, … for the retries of an attempt that got no answer. */
  attempt: number;
  /** HTTP status the receiver answered with, when it answered. */
  status?: number;
  /** Why no answer came: a network error, a timeout, or an injected fault. */
  error?: string;
  /** True for the second copy sent by a `duplicate` fault. */
  duplicate: boolean;
  /** Clock time (ms) when the delivery was attempted. */
  at: number;
}

/** A challenge as Twilio's JSON shows it (snake_case, ISO 8601 dates). */
export interface ChallengeJson {
  sid: string;
  account_sid: string;
  service_sid: string;
  entity_sid: string;
  identity: string;
  factor_sid: string;
  date_created: string;
  date_updated: string;
  date_responded: string | null;
  expiration_date: string;
  status: 'pending' | 'expired' | 'approved' | 'denied';
  responded_reason: 'none' | 'not_needed' | 'not_requested';
  details: { message: string; fields: { label: string; value: string }[]; date?: string };
  hidden_details: Record<string, string> | null;
  metadata: Record<string, string> | null;
  factor_type: 'push';
  url: string;
  links: { notifications: string };
}

export interface DeviceRegisterOptions {
  serviceSid: string;
  identity: string;
  /** Shown in the factor list. Default "Emulated device". */
  friendlyName?: string;
  /**
   * An access token the app backend minted (e.g. by the package's enrolment helper). Without one,
   * the device mints its own with the emulator's account credentials, as a backend would.
   */
  accessToken?: string;
}

export interface DeviceFactorRef {
  serviceSid: string;
  identity: string;
  factorSid: string;
}

export interface DeviceListOptions extends DeviceFactorRef {
  /** Only challenges in this status. Default: all. */
  status?: ChallengeJson['status'];
  /**
   * At most this many, newest first. Default: all. A phone app asks for the newest one only (Twilio's advice:
   * newest first, page size 1): a newer request replaces the older ones still pending.
   */
  limit?: number;
}

export interface DeviceAnswerOptions extends DeviceFactorRef {
  challengeSid: string;
  /** Sent as `Metadata` (JSON object of strings, ≤ 1024 characters). */
  metadata?: Record<string, string>;
}

export interface DeviceApproveOptions extends DeviceAnswerOptions {
  /** Silent approval: refuse unless the challenge's hidden `transaction_id` equals this. */
  transactionId?: string;
  /** Number matching: the code the user typed; refuse unless it equals hidden `match_code`. */
  matchCode?: string;
}

export interface DeviceApproveTransactionOptions extends DeviceFactorRef {
  transactionId: string;
  matchCode?: string;
  metadata?: Record<string, string>;
}

export type EmulatorDeviceErrorCode =
  | 'TRANSACTION_MISMATCH'
  | 'MATCH_CODE_REQUIRED'
  | 'MATCH_CODE_MISMATCH'
  | 'NO_MATCHING_CHALLENGE'
  | 'UNKNOWN_FACTOR';
