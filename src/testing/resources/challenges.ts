import { invalidParameter, TwilioApiError } from '../errors.js';
import type { Route } from '../http-router.js';
import { pathParam, type RouteContext, type RouteResult } from '../route-context.js';
import { listPage, type ListOrder } from '../paging.js';
import { challengeJson } from '../serialize.js';
import { isSid, newSid } from '../sids.js';
import type { ChallengeRecord } from '../state.js';
import { optionalEnum } from '../validate.js';
import { answerChallenge, SIGNATURE_FIELDS, SIGNATURE_FIELDS_HEADER } from './challenge-answer.js';
import { parseExpiry, parseFields, parseHiddenDetails, parseMessage } from './challenge-input.js';
import { challengeOf, entityOf, factorOf, pathIdentity, serviceOf } from './lookup.js';

const STATUSES = ['pending', 'expired', 'approved', 'denied'] as const;

function includeDate(ctx: RouteContext): boolean {
  return serviceOf(ctx).pushIncludeDate;
}

function createChallenge(ctx: RouteContext): RouteResult {
  entityOf(ctx);
  const factorSid = ctx.params.get('FactorSid') ?? '';
  // https://www.twilio.com/docs/api/errors/60362: Factor SID invalid or not provided. Guess: status 400.
  if (!isSid('YF', factorSid)) throw new TwilioApiError(400, 60362, 'Factor SID invalid or not provided');
  const factor = factorOf(ctx, factorSid);
  if (factor.status !== 'verified') throw new TwilioApiError(403, 60318, 'Factor is not verified');
  const state = ctx.env.state;
  const now = state.now();
  const challenge: ChallengeRecord = {
    sid: newSid('YC'),
    serviceSid: factor.serviceSid,
    entitySid: factor.entitySid,
    identity: factor.identity,
    factorSid: factor.sid,
    status: 'pending',
    message: parseMessage(ctx.params),
    fields: parseFields(ctx.params.all('Details.Fields')),
    hiddenDetails: parseHiddenDetails(ctx.params),
    metadata: null,
    // The push sent on creation is the first of the challenge's notifications (see notifications.ts).
    notificationsSent: 1,
    dateCreated: now,
    dateUpdated: now,
    dateResponded: null,
    expirationDate: parseExpiry(ctx.params, now),
    seq: state.sequence(),
  };
  state.challenges.set(challenge.sid, challenge);
  return { status: 201, body: challengeJson(ctx.env, challenge, includeDate(ctx)) };
}

function listChallenges(ctx: RouteContext): RouteResult {
  const service = serviceOf(ctx);
  const factorFilter = ctx.params.get('FactorSid');
  if (factorFilter !== undefined && !isSid('YF', factorFilter)) throw invalidParameter('FactorSid must be a Factor SID');
  const status = optionalEnum(ctx.params, 'Status', STATUSES);
  const order = optionalEnum(ctx.params, 'Order', ['asc', 'desc'] as const) ?? 'asc';
  // A device sees only the challenges of the factor it signed in with.
  const ownFactor = 'factor' in ctx.caller ? ctx.caller.factor.sid : undefined;
  // Guess: an identity with no entity yet lists as empty rather than 60392.
  const challenges = ctx.env.state
    .challengesOfEntity(service.sid, pathIdentity(ctx))
    .filter((c) => factorFilter === undefined || c.factorSid === factorFilter)
    .filter((c) => ownFactor === undefined || c.factorSid === ownFactor)
    .filter((c) => status === undefined || c.status === status)
    .sort((a, b) => a.dateCreated - b.dateCreated || a.seq - b.seq);
  if (order === 'desc') challenges.reverse();
  const direction = order === 'desc' ? -1 : 1;
  const listOrder: ListOrder<ChallengeRecord> = {
    lookup: (sid) => ctx.env.state.challenges.get(sid),
    compare: (a, b) => direction * (a.dateCreated - b.dateCreated || a.seq - b.seq),
  };
  const filters: Record<string, string> = {};
  if (factorFilter !== undefined) filters['FactorSid'] = factorFilter;
  if (status !== undefined) filters['Status'] = status;
  if (ctx.params.has('Order')) filters['Order'] = order;
  const withDate = service.pushIncludeDate;
  return {
    status: 200,
    body: listPage(ctx.env, ctx.path, 'challenges', challenges, ctx.params, filters, (c) => challengeJson(ctx.env, c, withDate), listOrder),
  };
}

export const challengeRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Challenges',
    operation: 'createChallenge',
    handle: createChallenge,
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Challenges/{YC}',
    operation: 'fetchChallenge',
    deviceAuth: 'factor',
    handle(ctx) {
      const challenge = challengeOf(ctx, pathParam(ctx, 'YC'));
      return {
        status: 200,
        body: challengeJson(ctx.env, challenge, includeDate(ctx)),
        headers: { [SIGNATURE_FIELDS_HEADER]: SIGNATURE_FIELDS.join(',') },
      };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Challenges',
    operation: 'listChallenges',
    deviceAuth: 'factor',
    handle: listChallenges,
  },
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Challenges/{YC}',
    operation: 'updateChallenge',
    deviceAuth: 'factor',
    handle(ctx) {
      const challenge = challengeOf(ctx, pathParam(ctx, 'YC'));
      return answerChallenge(ctx, challenge, includeDate(ctx));
    },
  },
];
