import { isVerifyPushError, VerifyPushError } from '../errors.js';
import { resolveIdentity } from '../flow/identity.js';
import { failure, type Outcome } from '../flow/outcome.js';
import type { EnrolmentHandlers } from '../http/enrolment.js';
import type { EventsMiddleware, EventsOptions } from '../http/events.js';
import type { ResendMiddleware } from '../http/resend.js';
import type { WebhookMiddleware, WebhookOptions } from '../http/webhook.js';
import type { IncomingMessage } from 'node:http';
import type { ApproveActionMiddleware } from '../http/approve-action.js';
import type {
  ActionDescription,
  ApprovedAction,
  VerifyFunction,
  VerifyFunctionWithRequest,
  VerifyPushAuthenticateOptions,
  VerifyPushOptions,
  VerifyPushRequest,
  VerifyPushStatus,
} from '../types.js';
import { approveActionEndpoint, enrolmentEndpoints, eventsEndpoint, resendEndpoint, webhookEndpoint } from './endpoints.js';
import { flowRequestOf } from './flow-request.js';
import { isGate, isWaitingPage } from './gate.js';
import { pendingBody, respondPending, wantsJson } from '../http/pending-response.js';
import { StrategyBase } from './strategy-base.js';
import { wire, type StrategyParts } from './wiring.js';

/** Failures that are an answer to the user (Passport `fail`), not a fault (Passport `error`). */
const USER_FACING_CODES: ReadonlySet<string> = new Set(['NO_PUSH_FACTOR', 'RATE_LIMITED']);

/**
 * Twilio Verify Push as a Passport strategy (name `'verify-push'`). The same middleware starts a challenge
 * for a user who passed the first factor, reports it pending while the phone decides, and logs the user in
 * once the approval is confirmed: by the webhook (`strategy.webhook()`) or by polling Twilio.
 *
 * Passport makes one object per request with `Object.create(strategy)`, so all state lives in readonly
 * fields set here (the parts, built once) and methods live on the prototype.
 */
export class VerifyPushStrategy<User = unknown> extends StrategyBase {
  readonly name = 'verify-push';
  private readonly parts: StrategyParts<User>;

  /** With `passReqToCallback: true`, the verify callback receives the request first. */
  constructor(options: VerifyPushOptions<User> & { passReqToCallback: true }, verify: VerifyFunctionWithRequest<User>);
  /** Without it, `verify(user, challenge, done)`; the callback is optional (the user is logged in as is). */
  constructor(options: VerifyPushOptions<User> & { passReqToCallback?: false }, verify?: VerifyFunction<User>);
  /** No verify callback at all: the options may come typed as `VerifyPushOptions` (whatever passReqToCallback says). */
  constructor(options: VerifyPushOptions<User>);
  constructor(options: VerifyPushOptions<User>, verify?: VerifyFunction<User> | VerifyFunctionWithRequest<User>) {
    super();
    if (verify !== undefined && typeof verify !== 'function') {
      throw new VerifyPushError('INVALID_OPTION', 'The verify callback, when given, must be a function.');
    }
    this.parts = wire(options, verify);
  }

  /** Passport's entry point: hands off to one async method that performs exactly one action. */
  authenticate(req: VerifyPushRequest, options?: VerifyPushAuthenticateOptions): void {
    void this.run(req, options ?? {});
  }

  private async run(req: VerifyPushRequest, options: VerifyPushAuthenticateOptions): Promise<void> {
    let outcome: Outcome<User>;
    try {
      const gate = isGate(req, options);
      outcome =
        gate && isWaitingPage(req, this.parts.waitPath) ? { kind: 'pass' } : await this.parts.flow.next(req, flowRequestOf(req, options, gate));
    } catch (error) {
      outcome =
        isVerifyPushError(error) && USER_FACING_CODES.has(error.code)
          ? failure(error.code, error.message, { status: error.status, ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }) })
          : { kind: 'error', error };
    }
    this.act(req, options, outcome);
  }

  /**
   * The one place Passport's actions are called. Keeping them out of the decision's try/catch means an
   * exception thrown further down the middleware chain can never be caught here and trigger a second action.
   * Passport has no "pending" action (`pass` would run the protected handler), so pending is answered here:
   * 202 JSON or 303 to `waitUrl`, or `fail(body, 202)` for a custom callback that asked for it.
   */
  private act(req: VerifyPushRequest, options: VerifyPushAuthenticateOptions, outcome: Outcome<User>): void {
    switch (outcome.kind) {
      case 'pass':
        this.pass();
        return;
      case 'success':
        this.success(outcome.user, outcome.info);
        return;
      case 'fail': {
        const retryAfter = outcome.info.retryAfter;
        if (retryAfter !== undefined && req.res && !req.res.headersSent) req.res.setHeader('Retry-After', String(retryAfter));
        this.fail(outcome.info, outcome.status);
        return;
      }
      case 'pending': {
        const body = pendingBody(outcome.pending, this.parts.options.pollIntervalMs);
        if (options.pending === 'callback' || !req.res || req.res.headersSent) {
          this.fail(body, 202);
          return;
        }
        respondPending(req.res, body, wantsJson(req), this.parts.options.waitUrl);
        return;
      }
      case 'error':
        this.error(outcome.error);
        return;
    }
  }

  /**
   * The Verify identity of a user (the `identity` option, or the HMAC default), checked against Twilio's
   * rules. `req` is optional: tests and scripts ask for a user's identity outside any request (to enrol the
   * emulator's phone for that user, say).
   */
  identityOf(user: User, req?: VerifyPushRequest): Promise<string> {
    return resolveIdentity(this.parts.options, user, req);
  }

  /**
   * The session's own challenge, for a waiting page: brought up to date the same way a login poll would be,
   * but it never logs anyone in and never writes to the session. A challenge belonging to another user than
   * the current one reads as 'none'.
   */
  async status(req: VerifyPushRequest): Promise<VerifyPushStatus> {
    const { recheckAt: _internal, ...status } = await this.parts.challenges.status(req);
    return status;
  }

  /**
   * Middleware for Twilio's challenge webhooks, at the public `url` configured on the Verify service. Unless
   * the `expectWebhooks` option says otherwise, mounting it here means outcomes are expected by webhook, and
   * Twilio is fetched only as a fallback (`webhookFallbackPollMs`).
   */
  webhook(options: WebhookOptions): WebhookMiddleware {
    return webhookEndpoint(this.parts, options);
  }

  /** Live waiting endpoint (server-sent events or long-poll) for the session's own challenge. */
  events(options?: EventsOptions): EventsMiddleware {
    return eventsEndpoint(this.parts, options);
  }

  /**
   * POST middleware that sends the session's pending push to the phone again, at most twice per challenge
   * (Twilio sends 3 pushes per challenge, the first included), counted in the store so tabs and instances
   * share the allowance. Answers `{ sent: true, remaining }`, or `{ error: code }`: 401 without a signed-in
   * user, 409 when nothing is pending, 429 when the allowance is used up.
   */
  resend(): ResendMiddleware {
    return resendEndpoint(this.parts);
  }

  /**
   * Enrolment middlewares (access token, list and delete factors), always for the signed-in user only. Once
   * the user has a verified device, they need a push approved within `deviceChangeMaxAgeSeconds`.
   */
  enrolment(): EnrolmentHandlers<User> {
    return enrolmentEndpoints(this.parts);
  }

  /**
   * Transaction approval: middleware that lets one sensitive action through only once a push showing exactly
   * that action (as `describe(req)` tells it) was approved in this session, and only once. The handler reads
   * what was approved with `strategy.approvedAction(req)`. See the README's "Approving a transaction".
   */
  approve<Req extends IncomingMessage = VerifyPushRequest>(
    describe: (req: Req) => ActionDescription | Promise<ActionDescription>,
  ): ApproveActionMiddleware {
    return approveActionEndpoint(this.parts, describe as (req: VerifyPushRequest) => ActionDescription | Promise<ActionDescription>);
  }

  /** The action approved for this request by `strategy.approve()` (for the handler and its audit log). */
  approvedAction(req: IncomingMessage): ApprovedAction | undefined {
    return this.parts.approvedActions.get(req);
  }

  /**
   * Forgets every remembered browser of the user, on every instance ("sign out everywhere", a password
   * change). Device changes do it by themselves. A no-op when `rememberBrowser` is off.
   */
  async forgetBrowsers(user: User): Promise<void> {
    await this.parts.remembered?.forget(await this.identityOf(user));
  }
}
