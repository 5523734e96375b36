import { isoSeconds } from './dates.js';
import type { EmulatorEnv } from './route-context.js';
import type {
  AccessTokenRecord,
  ChallengeRecord,
  EntityRecord,
  FactorRecord,
  ServiceRecord,
  WebhookRecord,
} from './state.js';
import type { ChallengeJson } from './types.js';

/** Resources as JSON in the shapes of Twilio's OpenAPI schemas (snake_case, ISO dates, absolute URLs). */

export function resourceUrl(env: EmulatorEnv, ...segments: string[]): string {
  return `${env.baseUrl}/v2/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

function entityPath(serviceSid: string, identity: string): string[] {
  return ['Services', serviceSid, 'Entities', identity];
}

export function serviceJson(env: EmulatorEnv, s: ServiceRecord): Record<string, unknown> {
  const link = (name: string): string => resourceUrl(env, 'Services', s.sid, name);
  return {
    sid: s.sid,
    account_sid: env.accountSid,
    friendly_name: s.friendlyName,
    code_length: 6,
    lookup_enabled: false,
    psd2_enabled: false,
    skip_sms_to_landlines: false,
    dtmf_input_required: false,
    tts_name: null,
    do_not_share_warning_enabled: false,
    custom_code_enabled: false,
    push: { include_date: s.pushIncludeDate, apn_credential_sid: null, fcm_credential_sid: null },
    totp: { issuer: null, time_step: null, code_length: null, skew: null },
    whatsapp: { msg_service_sid: null, from: null },
    passkeys: {
      relying_party: { id: null, name: null, origins: null },
      authenticator_attachment: null,
      discoverable_credentials: null,
      user_verification: null,
    },
    default_template_sid: null,
    verify_event_subscription_enabled: false,
    date_created: isoSeconds(s.dateCreated),
    date_updated: isoSeconds(s.dateUpdated),
    url: resourceUrl(env, 'Services', s.sid),
    links: {
      entities: link('Entities'),
      webhooks: link('Webhooks'),
      access_tokens: link('AccessTokens'),
      verifications: link('Verifications'),
      verification_checks: link('VerificationCheck'),
      rate_limits: link('RateLimits'),
      messaging_configurations: link('MessagingConfigurations'),
    },
  };
}

export function entityJson(env: EmulatorEnv, e: EntityRecord): Record<string, unknown> {
  const base = entityPath(e.serviceSid, e.identity);
  return {
    sid: e.sid,
    identity: e.identity,
    account_sid: env.accountSid,
    service_sid: e.serviceSid,
    date_created: isoSeconds(e.dateCreated),
    date_updated: isoSeconds(e.dateUpdated),
    url: resourceUrl(env, ...base),
    links: {
      factors: resourceUrl(env, ...base, 'Factors'),
      new_factors: resourceUrl(env, ...base, 'Factors'),
      challenges: resourceUrl(env, ...base, 'Challenges'),
    },
  };
}

export function factorJson(env: EmulatorEnv, f: FactorRecord): Record<string, unknown> {
  return {
    sid: f.sid,
    account_sid: env.accountSid,
    service_sid: f.serviceSid,
    entity_sid: f.entitySid,
    identity: f.identity,
    date_created: isoSeconds(f.dateCreated),
    date_updated: isoSeconds(f.dateUpdated),
    friendly_name: f.friendlyName,
    status: f.status,
    factor_type: 'push',
    // The mobile SDKs read `config.credential_sid` from the creation and verification answers and send it as
    // the `kid` of their request JWTs (twilio-verify-android domain/factor/FactorMapper.kt,
    // twilio-verify-ios Sources/Domain/Factor/Models/DTOs/PushFactorDTO.swift).
    config: { ...f.config, credential_sid: f.credentialSid },
    metadata: f.metadata,
    url: resourceUrl(env, ...entityPath(f.serviceSid, f.identity), 'Factors', f.sid),
  };
}

/** The creation answer additionally echoes the binding (Twilio's `new_factor` schema). */
export function newFactorJson(env: EmulatorEnv, f: FactorRecord): Record<string, unknown> {
  const { sid, account_sid, service_sid, entity_sid, identity, ...rest } = factorJson(env, f);
  return {
    sid,
    account_sid,
    service_sid,
    entity_sid,
    identity,
    binding: { alg: 'ES256', public_key: f.publicKeyBase64 },
    options: null,
    ...rest,
  };
}

export function challengeJson(env: EmulatorEnv, c: ChallengeRecord, includeDate: boolean): ChallengeJson {
  const url = resourceUrl(env, ...entityPath(c.serviceSid, c.identity), 'Challenges', c.sid);
  // Guess: `fields` is always present (empty when none were sent); `date` appears only when the
  // service enables Push.IncludeDate, as Twilio's service docs describe.
  const details: ChallengeJson['details'] = { message: c.message, fields: c.fields.map((f) => ({ ...f })) };
  if (includeDate) details.date = isoSeconds(c.dateCreated);
  return {
    sid: c.sid,
    account_sid: env.accountSid,
    service_sid: c.serviceSid,
    entity_sid: c.entitySid,
    identity: c.identity,
    factor_sid: c.factorSid,
    date_created: isoSeconds(c.dateCreated),
    date_updated: isoSeconds(c.dateUpdated),
    date_responded: c.dateResponded === null ? null : isoSeconds(c.dateResponded),
    expiration_date: isoSeconds(c.expirationDate),
    status: c.status,
    responded_reason: 'none',
    details,
    hidden_details: c.hiddenDetails === null ? null : { ...c.hiddenDetails },
    metadata: c.metadata === null ? null : { ...c.metadata },
    factor_type: 'push',
    url,
    links: { notifications: `${url}/Notifications` },
  };
}

export function webhookJson(env: EmulatorEnv, w: WebhookRecord): Record<string, unknown> {
  return {
    sid: w.sid,
    service_sid: w.serviceSid,
    account_sid: env.accountSid,
    friendly_name: w.friendlyName,
    event_types: [...w.eventTypes],
    status: w.status,
    version: w.version,
    webhook_url: w.webhookUrl,
    webhook_method: 'POST',
    date_created: isoSeconds(w.dateCreated),
    date_updated: isoSeconds(w.dateUpdated),
    url: resourceUrl(env, 'Services', w.serviceSid, 'Webhooks', w.sid),
  };
}

export function accessTokenJson(env: EmulatorEnv, t: AccessTokenRecord): Record<string, unknown> {
  return {
    sid: t.sid,
    account_sid: env.accountSid,
    service_sid: t.serviceSid,
    entity_identity: t.identity,
    factor_type: 'push',
    factor_friendly_name: t.factorFriendlyName,
    token: t.token,
    url: resourceUrl(env, 'Services', t.serviceSid, 'AccessTokens', t.sid),
    ttl: t.ttl,
    date_created: isoSeconds(t.dateCreated),
  };
}
