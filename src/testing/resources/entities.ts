import { invalidParameter } from '../errors.js';
import type { Route } from '../http-router.js';
import { entityJson, listPage } from '../serialize.js';
import { isIdentity, newSid } from '../sids.js';
import type { EmulatorState, EntityRecord } from '../state.js';
import { requireParam } from '../validate.js';
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
      const identity = requireParam(ctx.params, 'Identity');
      if (!isIdentity(identity)) throw invalidParameter('Identity must be 8-64 dash-separated alphanumeric characters');
      // Guess: creating an entity that exists is refused (Twilio's exact code is unknown).
      if (ctx.env.state.entities.has(ctx.env.state.entityKey(service.sid, identity))) {
        throw invalidParameter('an Entity with this Identity already exists');
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
      // Guess: removing an entity removes its factors and challenges without factor.deleted webhooks.
      ctx.env.state.deleteEntity(entityOf(ctx));
      return { status: 204 };
    },
  },
];
