import { factorNotFound, identityInvalid, invalidParameter, TwilioApiError } from '../errors.js';
import { isValidFactorProof } from '../factor-proof.js';
import type { Route } from '../http-router.js';
import { listPage } from '../paging.js';
import { importP256PublicKey } from '../jwt.js';
import { pathParam, type RouteContext } from '../route-context.js';
import { factorJson, newFactorJson } from '../serialize.js';
import { isIdentity, newSid } from '../sids.js';
import type { FactorRecord, PushConfig } from '../state.js';
import { maxLength, optionalEnum, parseStringMap, requireParam } from '../validate.js';
import { ensureEntity } from './entities.js';
import { factorOf, pathIdentity, serviceOf } from './lookup.js';

/** Twilio allows at most 20 push factors per entity (https://www.twilio.com/docs/api/errors/60315). */
const MAX_PUSH_FACTORS = 20;
/** …and at most 100 factor creations per entity per day (https://www.twilio.com/docs/api/errors/60326). */
const MAX_FACTOR_CREATIONS_PER_DAY = 100;
const PLATFORMS = ['apn', 'fcm', 'none'] as const;

/** The factor a path names; a device may only reach the factor it signed in with. */
function ownFactor(ctx: RouteContext): FactorRecord {
  const factor = factorOf(ctx, pathParam(ctx, 'YF'));
  if ('factor' in ctx.caller && ctx.caller.factor.sid !== factor.sid) throw factorNotFound();
  return factor;
}

function readConfig(ctx: RouteContext): PushConfig {
  const platform = optionalEnum(ctx.params, 'Config.NotificationPlatform', PLATFORMS);
  if (platform === undefined) throw invalidParameter('Config.NotificationPlatform is required');
  const token = ctx.params.get('Config.NotificationToken') ?? null;
  if (platform !== 'none' && !token) throw invalidParameter('Config.NotificationToken is required for apn and fcm');
  return {
    sdk_version: ctx.params.get('Config.SdkVersion') ?? null,
    app_id: requireParam(ctx.params, 'Config.AppId'),
    notification_platform: platform,
    notification_token: token,
  };
}

function createFactor(ctx: RouteContext): ReturnType<Route['handle']> {
  const service = serviceOf(ctx);
  const identity = pathParam(ctx, 'identity');
  // Twilio's 60367 page names creating a push factor among the requests whose Identity it checks.
  if (!isIdentity(identity)) throw identityInvalid('parameter');
  const friendlyName = maxLength('FriendlyName', requireParam(ctx.params, 'FriendlyName'), 64);
  // Guess: the emulator speaks push only; TOTP and passkeys factors are refused as invalid.
  if (requireParam(ctx.params, 'FactorType') !== 'push') throw invalidParameter('FactorType must be push');
  if (requireParam(ctx.params, 'Binding.Alg') !== 'ES256') throw invalidParameter('Binding.Alg must be ES256');
  const publicKeyBase64 = requireParam(ctx.params, 'Binding.PublicKey');
  const publicKey = importP256PublicKey(publicKeyBase64);
  if (!publicKey) throw invalidParameter('Binding.PublicKey must be a base64 DER P-256 public key');
  const config = readConfig(ctx);
  const rawMetadata = ctx.params.get('Metadata');
  const metadata = rawMetadata === undefined ? null : parseStringMap('Metadata', rawMetadata, 1024);

  const state = ctx.env.state;
  if (state.recentFactorCreations(service.sid, identity) >= MAX_FACTOR_CREATIONS_PER_DAY) {
    throw new TwilioApiError(429, 60326, 'Too many requests to create factors for the entity');
  }
  const existing = state.factorsOfEntity(service.sid, identity);
  // https://www.twilio.com/docs/api/errors/60317: a factor with the same binding as an existing one.
  if (existing.some((f) => f.publicKeyBase64 === publicKeyBase64)) throw new TwilioApiError(409, 60317, 'Factor already exists');
  if (existing.length >= MAX_PUSH_FACTORS) {
    throw new TwilioApiError(400, 60315, 'Reached max limit of 20 push Factors associated per Entity');
  }
  const entity = ensureEntity(state, service.sid, identity);
  state.recordFactorCreation(service.sid, identity);
  const now = state.now();
  const factor: FactorRecord = {
    sid: newSid('YF'),
    // Guess: the prefix; the SDKs treat the value as opaque and only echo it as `kid`.
    credentialSid: newSid('CR'),
    serviceSid: service.sid,
    entitySid: entity.sid,
    identity,
    friendlyName,
    status: 'unverified',
    publicKeyBase64,
    publicKey,
    config,
    metadata,
    dateCreated: now,
    dateUpdated: now,
  };
  state.factors.set(factor.sid, factor);
  const event = { type: 'factor.created', serviceSid: service.sid, identity, factorSid: factor.sid } as const;
  return { status: 201, body: newFactorJson(ctx.env, factor), afterResponse: () => ctx.env.events.emit(event) };
}

/** Verifying a push factor: `AuthPayload` must be the factor key's signature of the factor SID (factor-proof.ts). */
function verifyFactorPayload(factor: FactorRecord, authPayload: string): void {
  if (!isValidFactorProof(factor.sid, authPayload, factor.publicKey)) {
    throw new TwilioApiError(403, 60311, 'Factor verification failed');
  }
}

function updateFactor(ctx: RouteContext): ReturnType<Route['handle']> {
  const factor = ownFactor(ctx);
  const authPayload = ctx.params.get('AuthPayload');
  const friendlyName = ctx.params.get('FriendlyName');
  const platform = optionalEnum(ctx.params, 'Config.NotificationPlatform', PLATFORMS);
  const token = ctx.params.get('Config.NotificationToken');
  const sdkVersion = ctx.params.get('Config.SdkVersion');
  let verifiedNow = false;
  if (authPayload !== undefined) {
    verifyFactorPayload(factor, authPayload);
    verifiedNow = factor.status === 'unverified';
    factor.status = 'verified';
  }
  if (friendlyName !== undefined) factor.friendlyName = maxLength('FriendlyName', friendlyName, 64);
  if (platform !== undefined) factor.config.notification_platform = platform;
  if (token !== undefined) factor.config.notification_token = token;
  if (sdkVersion !== undefined) factor.config.sdk_version = sdkVersion;
  factor.dateUpdated = ctx.env.state.now();
  const event = { type: 'factor.verified', serviceSid: factor.serviceSid, identity: factor.identity, factorSid: factor.sid } as const;
  return {
    status: 200,
    body: factorJson(ctx.env, factor),
    afterResponse: verifiedNow ? () => ctx.env.events.emit(event) : undefined,
  };
}

export const factorRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Factors',
    operation: 'createFactor',
    deviceAuth: 'accessToken',
    handle: createFactor,
  },
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Factors/{YF}',
    operation: 'updateFactor',
    deviceAuth: 'factor',
    handle: updateFactor,
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Factors/{YF}',
    operation: 'fetchFactor',
    deviceAuth: 'factor',
    handle(ctx) {
      return { status: 200, body: factorJson(ctx.env, ownFactor(ctx)) };
    },
  },
  {
    method: 'GET',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Factors',
    operation: 'listFactors',
    handle(ctx) {
      // Guess: an identity with no entity yet lists as empty rather than 60392.
      const service = serviceOf(ctx);
      const factors = ctx.env.state.factorsOfEntity(service.sid, pathIdentity(ctx));
      return { status: 200, body: listPage(ctx.env, ctx.path, 'factors', factors, ctx.params, {}, (f) => factorJson(ctx.env, f)) };
    },
  },
  {
    method: 'DELETE',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Factors/{YF}',
    operation: 'deleteFactor',
    deviceAuth: 'factor',
    handle(ctx) {
      const factor = ownFactor(ctx);
      ctx.env.state.factors.delete(factor.sid);
      const event = { type: 'factor.deleted', serviceSid: factor.serviceSid, identity: factor.identity, factorSid: factor.sid } as const;
      return { status: 204, afterResponse: () => ctx.env.events.emit(event) };
    },
  },
];
