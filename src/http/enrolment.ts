import type { IncomingMessage, ServerResponse } from 'node:http';
import { VerifyPushError } from '../errors.js';
import { jsonMiddleware, sendJson } from './json.js';
import { assertSid } from '../sids.js';
import type { VerifyPort } from '../twilio/verify-api.js';
import type { PushFactor } from '../types.js';
import { wholeNumber } from '../validate.js';

/** The request as these handlers read it; an Express `Request` satisfies it. */
export interface EnrolmentRequest extends IncomingMessage {
  user?: unknown;
  /** Route parameters. Typed loosely because Express 5 allows arrays; a non-string sid is refused below. */
  params?: Record<string, unknown>;
}

export type EnrolmentMiddleware = (
  req: EnrolmentRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

export interface EnrolmentDeps<User = unknown> {
  api: Pick<VerifyPort, 'createAccessToken' | 'listPushFactors' | 'deleteFactor'>;
  serviceSid: string;
  /** The Verify identity of a signed-in user (the same function the strategy uses). */
  identityOf(user: User, req?: EnrolmentRequest): Promise<string>;
  /** The signed-in user (first factor passed), or a falsy value. Usually `req.user`. */
  getUser(req: EnrolmentRequest): User | null | undefined | false;
  /**
   * How this session stands for changing devices: no push approved in it (`'none'`), one approved but not
   * recently enough or a remembered browser (`'stale'`), or one approved recently enough (`'fresh'`).
   */
  approval(req: EnrolmentRequest, identity: string): 'none' | 'stale' | 'fresh';
  /** Told of each change this handler makes or starts (enrolment token minted, device removed). */
  deviceChanged(event: { kind: 'enrolment-started' | 'removed'; identity: string; factorSid?: string; user: User; req: EnrolmentRequest }): Promise<void>;
}

export interface AccessTokenOptions<User = unknown> {
  /**
   * Name of the factor the device will create, shown in factor lists. A string, or a function of the user and
   * request. Default: none (the device app names it). Never taken from the request as sent by the client.
   */
  factorFriendlyName?: string | ((user: User, req: EnrolmentRequest) => string | undefined);
  /** Token lifetime in seconds, 60–300 (Twilio's range). Default Twilio's (60). */
  ttlSeconds?: number;
}

export interface EnrolmentToken {
  token: string;
  identity: string;
  serviceSid: string;
  factorType: 'push';
  /** seconds */
  ttl: number;
}

export interface FactorSummary {
  sid: string;
  friendlyName: string;
  status: 'unverified' | 'verified';
  /** ISO 8601 */
  dateCreated: string;
}

export interface EnrolmentHandlers<User = unknown> {
  /** POST handler: an enrolment access token for the signed-in user, as JSON. */
  accessToken(options?: AccessTokenOptions<User>): EnrolmentMiddleware;
  /** GET handler: the signed-in user's push factors, as JSON `{ factors: [...] }`. */
  listFactors(): EnrolmentMiddleware;
  /** DELETE handler for a route with a `:factorSid` parameter (or `param`): removes one of the user's factors. */
  deleteFactor(options?: { param?: string }): EnrolmentMiddleware;
  /** The same operations as plain functions, for apps that build their own routes. */
  issueAccessToken(req: EnrolmentRequest, options?: AccessTokenOptions<User>): Promise<EnrolmentToken>;
  factorsOf(req: EnrolmentRequest): Promise<FactorSummary[]>;
  removeFactor(req: EnrolmentRequest, factorSid: string): Promise<void>;
}

/**
 * Helpers for the device-enrolment side (F7). Everything is scoped to the *signed-in* user: the identity
 * always comes from `identityOf(getUser(req))`, never from the body, query or headers, so one user can
 * never mint a token for, list, or delete another user's factors.
 */
export function createEnrolmentHandlers<User = unknown>(deps: EnrolmentDeps<User>): EnrolmentHandlers<User> {
  const serviceSid = assertSid('service', deps.serviceSid, 'serviceSid');

  async function currentIdentity(req: EnrolmentRequest): Promise<{ user: User; identity: string }> {
    const user = deps.getUser(req);
    if (user === null || user === undefined || user === false) {
      throw new VerifyPushError('NOT_AUTHENTICATED', 'Sign in before managing push devices.');
    }
    return { user, identity: await deps.identityOf(user, req) };
  }

  /**
   * Adding or removing a device changes the second factor itself, so a password alone is not enough, nor is an
   * old approval: once the user has a verified device, only a push approved on one of them recently (the
   * `deviceChangeMaxAgeSeconds` option) lets this session change devices; listing them needs the push, of any
   * age. Otherwise someone holding the
   * password, or a cookie stolen hours after the owner signed in, could enrol their own phone (the newest
   * device is the one challenged) and remove the owner's. A user with no verified device yet may enrol the
   * first one with the password (trust on first use); put your own check in front of the route if your policy
   * needs more.
   */
  async function authorisedIdentity(
    req: EnrolmentRequest,
    need: 'signed-in' | 'fresh',
  ): Promise<{ user: User; identity: string; factors: () => Promise<PushFactor[]> }> {
    const { user, identity } = await currentIdentity(req);
    // The user's factor list is read at most once per request, whether the check or the caller needs it.
    let listed: Promise<PushFactor[]> | undefined;
    const factors = (): Promise<PushFactor[]> => (listed ??= deps.api.listPushFactors(identity));
    const approval = deps.approval(req, identity);
    // Listing only needs the session signed in; a change needs a recent approval.
    const enough = need === 'fresh' ? approval === 'fresh' : approval !== 'none';
    if (!enough && (await factors()).some((factor) => factor.status === 'verified')) {
      if (approval === 'none') {
        throw new VerifyPushError('SECOND_FACTOR_REQUIRED', 'Approve a sign-in on one of your devices before adding or removing devices.');
      }
      throw new VerifyPushError('STEP_UP_REQUIRED', 'Approve a new request on one of your devices before adding or removing devices.');
    }
    return { user, identity, factors };
  }

  async function issueAccessToken(req: EnrolmentRequest, options: AccessTokenOptions<User> = {}): Promise<EnrolmentToken> {
    checkTtl(options.ttlSeconds);
    const { user, identity } = await authorisedIdentity(req, 'fresh');
    const friendly = options.factorFriendlyName;
    const factorFriendlyName = typeof friendly === 'function' ? friendly(user, req) : friendly;
    const minted = await deps.api.createAccessToken(identity, {
      ...(factorFriendlyName === undefined ? {} : { factorFriendlyName }),
      ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
    });
    await deps.deviceChanged({ kind: 'enrolment-started', identity, user, req });
    return { token: minted.token, identity, serviceSid, factorType: 'push', ttl: minted.ttl };
  }

  async function factorsOf(req: EnrolmentRequest): Promise<FactorSummary[]> {
    const { factors } = await authorisedIdentity(req, 'signed-in');
    return (await factors()).map(summary);
  }

  async function removeFactor(req: EnrolmentRequest, factorSid: string): Promise<void> {
    // Pattern first: a client-supplied value never reaches a request path unchecked.
    assertSid('factor', factorSid, 'factor sid');
    const { user, identity, factors } = await authorisedIdentity(req, 'fresh');
    // Twilio scopes the delete to the user's entity anyway; checking the user's own list first means we never
    // even ask Twilio to delete a factor that is not theirs.
    const own = await factors();
    if (!own.some((factor) => factor.sid === factorSid)) {
      throw new VerifyPushError('NO_PUSH_FACTOR', 'You have no such push device.', { status: 404 });
    }
    await deps.api.deleteFactor(identity, factorSid);
    await deps.deviceChanged({ kind: 'removed', identity, factorSid, user, req });
  }

  return {
    accessToken(options = {}) {
      checkTtl(options.ttlSeconds);
      return jsonMiddleware<EnrolmentRequest>(async (req, res) => sendJson(res, 200, { ...(await issueAccessToken(req, options)) }));
    },
    listFactors() {
      return jsonMiddleware<EnrolmentRequest>(async (req, res) => sendJson(res, 200, { factors: await factorsOf(req) }));
    },
    deleteFactor(options = {}) {
      const param = options.param ?? 'factorSid';
      return jsonMiddleware<EnrolmentRequest>(async (req, res) => {
        const factorSid = req.params?.[param];
        await removeFactor(req, typeof factorSid === 'string' ? factorSid : '');
        res.statusCode = 204;
        res.setHeader('Cache-Control', 'no-store');
        res.end();
      });
    },
    issueAccessToken,
    factorsOf,
    removeFactor,
  };
}

function checkTtl(ttlSeconds: number | undefined): void {
  wholeNumber('accessToken.ttlSeconds', ttlSeconds, 60, { min: 60, max: 300, unit: 'seconds' });
}

function summary(factor: PushFactor): FactorSummary {
  return {
    sid: factor.sid,
    friendlyName: factor.friendlyName,
    status: factor.status,
    dateCreated: factor.dateCreated.toISOString(),
  };
}
