import type { Route } from '../http-router.js';
import { listPage } from '../paging.js';
import { serviceJson } from '../serialize.js';
import { newSid } from '../sids.js';
import { maxLength, optionalBool, requireParam } from '../validate.js';
import { serviceOf } from './lookup.js';

export const serviceRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v2/Services',
    operation: 'createService',
    handle(ctx) {
      // "It can be up to 32 characters long" (Verify v2 OpenAPI, CreateService FriendlyName).
      // Guess: a longer one is refused with 60200.
      const friendlyName = maxLength('FriendlyName', requireParam(ctx.params, 'FriendlyName'), 32);
      const now = ctx.env.state.now();
      const service = {
        sid: newSid('VA'),
        friendlyName,
        pushIncludeDate: optionalBool(ctx.params, 'Push.IncludeDate') ?? false,
        dateCreated: now,
        dateUpdated: now,
      };
      ctx.env.state.services.set(service.sid, service);
      return { status: 201, body: serviceJson(ctx.env, service) };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}',
    operation: 'fetchService',
    handle(ctx) {
      return { status: 200, body: serviceJson(ctx.env, serviceOf(ctx)) };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services',
    operation: 'listServices',
    handle(ctx) {
      const services = [...ctx.env.state.services.values()];
      return { status: 200, body: listPage(ctx.env, ctx.path, 'services', services, ctx.params, {}, (s) => serviceJson(ctx.env, s)) };
    },
  },
];
