import { notFound } from '../errors.js';
import { pathParam, type RouteContext } from '../route-context.js';
import type { ChallengeRecord, EntityRecord, FactorRecord, ServiceRecord } from '../state.js';

/** Finds the records a path names, answering 20404 as Twilio does when any of them is missing. */

export function serviceOf(ctx: RouteContext): ServiceRecord {
  const service = ctx.env.state.services.get(pathParam(ctx, 'VA'));
  if (!service) throw notFound(ctx.path);
  return service;
}

export function entityOf(ctx: RouteContext): EntityRecord {
  const service = serviceOf(ctx);
  const entity = ctx.env.state.entities.get(ctx.env.state.entityKey(service.sid, pathParam(ctx, 'identity')));
  if (!entity) throw notFound(ctx.path);
  return entity;
}

export function factorOf(ctx: RouteContext, factorSid: string): FactorRecord {
  const entity = entityOf(ctx);
  const factor = ctx.env.state.factors.get(factorSid);
  if (!factor || factor.entitySid !== entity.sid) throw notFound(ctx.path);
  return factor;
}

/**
 * The challenge the path names, with its expiry applied. A device may only reach the
 * challenges of the factor it signed in with.
 */
export function challengeOf(ctx: RouteContext, challengeSid: string): ChallengeRecord {
  const entity = entityOf(ctx);
  const challenge = ctx.env.state.challenges.get(challengeSid);
  if (!challenge || challenge.entitySid !== entity.sid) throw notFound(ctx.path);
  if ('factor' in ctx.caller && ctx.caller.factor.sid !== challenge.factorSid) throw notFound(ctx.path);
  return ctx.env.state.refreshExpiry(challenge);
}
