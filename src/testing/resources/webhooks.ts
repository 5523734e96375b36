import { invalidParameter, notFound } from '../errors.js';
import type { Route } from '../http-router.js';
import { listPage } from '../paging.js';
import { pathParam, type RouteContext } from '../route-context.js';
import { webhookJson } from '../serialize.js';
import { newSid } from '../sids.js';
import type { WebhookRecord } from '../state.js';
import { isHttpUrl, optionalEnum, requireParam } from '../validate.js';
import { serviceOf } from './lookup.js';

export const EVENT_TYPES = ['*', 'factor.created', 'factor.verified', 'factor.deleted', 'challenge.approved', 'challenge.denied'] as const;
const STATUSES = ['enabled', 'disabled'] as const;
const VERSIONS = ['v1', 'v2'] as const;

function readEventTypes(values: string[]): string[] {
  if (values.length === 0) throw invalidParameter('EventTypes is required');
  for (const type of values) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) throw invalidParameter(`unknown event type ${type}`);
  }
  return [...new Set(values)];
}

function readUrl(value: string): string {
  if (!isHttpUrl(value)) throw invalidParameter('WebhookUrl must be an http(s) URL');
  return value;
}

function webhookOf(ctx: RouteContext): WebhookRecord {
  const service = serviceOf(ctx);
  const webhook = ctx.env.state.webhooks.get(pathParam(ctx, 'YW'));
  if (!webhook || webhook.serviceSid !== service.sid) throw notFound(ctx.path);
  return webhook;
}

export const webhookRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Webhooks',
    operation: 'createWebhook',
    handle(ctx) {
      const service = serviceOf(ctx);
      const now = ctx.env.state.now();
      const webhook: WebhookRecord = {
        sid: newSid('YW'),
        serviceSid: service.sid,
        friendlyName: requireParam(ctx.params, 'FriendlyName'),
        eventTypes: readEventTypes(ctx.params.all('EventTypes')),
        webhookUrl: readUrl(requireParam(ctx.params, 'WebhookUrl')),
        status: optionalEnum(ctx.params, 'Status', STATUSES) ?? 'enabled',
        version: optionalEnum(ctx.params, 'Version', VERSIONS) ?? 'v2',
        dateCreated: now,
        dateUpdated: now,
      };
      ctx.env.state.webhooks.set(webhook.sid, webhook);
      return { status: 201, body: webhookJson(ctx.env, webhook) };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/Webhooks',
    operation: 'listWebhooks',
    handle(ctx) {
      const service = serviceOf(ctx);
      const webhooks = [...ctx.env.state.webhooks.values()].filter((w) => w.serviceSid === service.sid);
      return { status: 200, body: listPage(ctx.env, ctx.path, 'webhooks', webhooks, ctx.params, {}, (w) => webhookJson(ctx.env, w)) };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/Webhooks/{YW}',
    operation: 'fetchWebhook',
    handle(ctx) {
      return { status: 200, body: webhookJson(ctx.env, webhookOf(ctx)) };
    },
  },
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Webhooks/{YW}',
    operation: 'updateWebhook',
    handle(ctx) {
      const webhook = webhookOf(ctx);
      const friendlyName = ctx.params.get('FriendlyName');
      const url = ctx.params.get('WebhookUrl');
      const status = optionalEnum(ctx.params, 'Status', STATUSES);
      const version = optionalEnum(ctx.params, 'Version', VERSIONS);
      const eventTypes = ctx.params.has('EventTypes') ? readEventTypes(ctx.params.all('EventTypes')) : undefined;
      if (friendlyName !== undefined) webhook.friendlyName = friendlyName;
      if (url !== undefined) webhook.webhookUrl = readUrl(url);
      if (status !== undefined) webhook.status = status;
      if (version !== undefined) webhook.version = version;
      if (eventTypes !== undefined) webhook.eventTypes = eventTypes;
      webhook.dateUpdated = ctx.env.state.now();
      return { status: 200, body: webhookJson(ctx.env, webhook) };
    },
  },
  {
    method: 'DELETE',
    pattern: '/v2/Services/{VA}/Webhooks/{YW}',
    operation: 'deleteWebhook',
    handle(ctx) {
      const webhook = webhookOf(ctx);
      ctx.env.state.webhooks.delete(webhook.sid);
      return { status: 204 };
    },
  },
];
