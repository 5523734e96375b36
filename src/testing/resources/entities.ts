import { identityInvalid, TwilioApiError } from '../errors.js';
import type { Route } from '../http-router.js';
import { listPage } from '../paging.js';
import { entityJson } from '../serialize.js';
import { isIdentity, newSid } from '../sids.js';
import type { EmulatorState, EntityRecord } from '../state.js';
import { entityOf, serviceOf } from './lookup.js';

/** The entity for an identity, created on first use (Twilio creates it with the first factor). */
export function ensureEntity(state: EmulatorState, serviceSid: string, identity: string): EntityRecord {
  const key = state.entityKey(serviceSid, identity);
  const existing = state.entities.get(key);
  if (existing) return existing;
  const now = state.now();
  const entity = { sid: newSid('YE'), serviceSid, identity, dateCreated: now, dateUpdated: now };
  state.entities.set(key, entity);
  return entity;
}

export const entityRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Entities',
    operation: 'createEntity',
    handle(ctx) {
      const service = serviceOf(ctx);
      const identity = ctx.params.get('Identity') ?? '';
      if (!isIdentity(identity)) throw identityInvalid('parameter');
      // https://www.twilio.com/docs/api/errors/60301: an entity with this identity already exists in the service.
      if (ctx.env.state.entities.has(ctx.env.state.entityKey(service.sid, identity))) {
        throw new TwilioApiError(409, 60301, 'Entity already exists');
      }
      return { status: 201, body: entityJson(ctx.env, ensureEntity(ctx.env.state, service.sid, identity)) };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/Entities/{identity}',
    operation: 'fetchEntity',
    handle(ctx) {
      return { status: 200, body: entityJson(ctx.env, entityOf(ctx)) };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/Entities',
    operation: 'listEntities',
    handle(ctx) {
      const service = serviceOf(ctx);
      const entities = [...ctx.env.state.entities.values()].filter((e) => e.serviceSid === service.sid);
      return { status: 200, body: listPage(ctx.env, ctx.path, 'entities', entities, ctx.params, {}, (e) => entityJson(ctx.env, e)) };
    },
  },
  {
    method: 'DELETE',
    pattern: '/v2/Services/{VA}/Entities/{identity}',
    operation: 'deleteEntity',
    handle(ctx) {
      // Removing an entity removes its factors and challenges: Twilio's Entity resource page says an Entity
      // contains its Factors, and the factor and challenge paths live under it (https://www.twilio.com/docs/verify/api/entity).
      // Guess: no page states the cascade in words, nor whether factor.deleted webhooks go out; none do here.
      ctx.env.state.deleteEntity(entityOf(ctx));
      return { status: 204 };
    },
  },
];
