import { randomBytes } from 'node:crypto';
import { identityInvalid, invalidParameter, notFound } from '../errors.js';
import type { Route } from '../http-router.js';
import { pathParam } from '../route-context.js';
import { accessTokenJson } from '../serialize.js';
import { isIdentity, newSid } from '../sids.js';
import { optionalInt, requireParam } from '../validate.js';
import { serviceOf } from './lookup.js';

export const accessTokenRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/AccessTokens',
    operation: 'createAccessToken',
    handle(ctx) {
      const service = serviceOf(ctx);
      const identity = ctx.params.get('Identity') ?? '';
      if (!isIdentity(identity)) throw identityInvalid('parameter');
      if (requireParam(ctx.params, 'FactorType') !== 'push') throw invalidParameter('FactorType must be push');
      const ttl = optionalInt(ctx.params, 'Ttl', 60, 300) ?? 60;
      const now = ctx.env.state.now();
      const record = {
        sid: newSid('YK'),
        serviceSid: service.sid,
        identity,
        factorFriendlyName: ctx.params.get('FactorFriendlyName') ?? null,
        // Guess: Twilio's token is an opaque encrypted blob; the emulator's is opaque random text that
        // it looks up when the device creates its factor.
        token: randomBytes(32).toString('base64url'),
        ttl,
        dateCreated: now,
        expiresAt: now + ttl * 1000,
      };
      ctx.env.state.accessTokens.set(record.sid, record);
      return { status: 201, body: accessTokenJson(ctx.env, record) };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/AccessTokens/{YK}',
    operation: 'fetchAccessToken',
    handle(ctx) {
      const service = serviceOf(ctx);
      const record = ctx.env.state.accessTokens.get(pathParam(ctx, 'YK'));
      if (!record || record.serviceSid !== service.sid) throw notFound(ctx.path);
      return { status: 200, body: accessTokenJson(ctx.env, record) };
    },
  },
];
