import { challengeNotFound, entityNotFound, factorNotFound, identityInvalid, notFound } from '../errors.js';
import { pathParam, type RouteContext } from '../route-context.js';
import { isIdentity } from '../sids.js';
import type { ChallengeRecord, EntityRecord, FactorRecord, ServiceRecord } from '../state.js';

/**
 * Finds the records a path names, answering as Twilio's error pages describe: 20404 for an unknown service
 * (Verify has no code of its own for it), 60392 for an unknown entity, 60390 for an unknown factor and 60391
 * for an unknown challenge (https://www.twilio.com/docs/api/errors/60390, /60391, /60392).
 */

export function serviceOf(ctx: RouteContext): ServiceRecord {
  const service = ctx.env.state.services.get(pathParam(ctx, 'VA'));
  if (!service) throw notFound(ctx.path);
  return service;
}

/** The `{Identity}` of the path, refused with 60366 unless it has Twilio's identity shape. */
export function pathIdentity(ctx: RouteContext): string {
  const identity = pathParam(ctx, 'identity');
  if (!isIdentity(identity)) throw identityInvalid('path');
  return identity;
}

export function entityOf(ctx: RouteContext): EntityRecord {
  const service = serviceOf(ctx);
  const entity = ctx.env.state.entities.get(ctx.env.state.entityKey(service.sid, pathIdentity(ctx)));
  if (!entity) throw entityNotFound();
  return entity;
}

export function factorOf(ctx: RouteContext, factorSid: string): FactorRecord {
  const entity = entityOf(ctx);
  const factor = ctx.env.state.factors.get(factorSid);
  if (!factor || factor.entitySid !== entity.sid) throw factorNotFound();
  return factor;
}

/**
 * The challenge the path names, with its expiry applied. A device may only reach the
 * challenges of the factor it signed in with.
 */
export function challengeOf(ctx: RouteContext, challengeSid: string): ChallengeRecord {
  const entity = entityOf(ctx);
  const challenge = ctx.env.state.challenges.get(challengeSid);
  if (!challenge || challenge.entitySid !== entity.sid) throw challengeNotFound();
  if ('factor' in ctx.caller && ctx.caller.factor.sid !== challenge.factorSid) throw challengeNotFound();
  return ctx.env.state.refreshExpiry(challenge);
}
