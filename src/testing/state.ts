import type { KeyObject } from 'node:crypto';
import type { Clock } from './types.js';

/** In-memory records of everything the emulator holds. Times are ms since the epoch. */

export interface ServiceRecord {
  sid: string;
  friendlyName: string;
  pushIncludeDate: boolean;
  dateCreated: number;
  dateUpdated: number;
}

export interface EntityRecord {
  sid: string;
  serviceSid: string;
  identity: string;
  dateCreated: number;
  dateUpdated: number;
}

export interface PushConfig {
  sdk_version: string | null;
  app_id: string | null;
  notification_platform: 'apn' | 'fcm' | 'none';
  notification_token: string | null;
}

export interface FactorRecord {
  sid: string;
  /**
   * What the device names as `kid` in its request JWTs, shown as the factor's `config.credential_sid`
   * (twilio-verify-android FactorMapper.kt reads it from the creation answer; AuthenticationProvider.kt uses it).
   */
  credentialSid: string;
  serviceSid: string;
  entitySid: string;
  identity: string;
  friendlyName: string;
  status: 'unverified' | 'verified';
  publicKeyBase64: string;
  publicKey: KeyObject;
  config: PushConfig;
  metadata: Record<string, string> | null;
  dateCreated: number;
  dateUpdated: number;
}

export type ChallengeStatus = 'pending' | 'expired' | 'approved' | 'denied';

export interface ChallengeRecord {
  sid: string;
  serviceSid: string;
  entitySid: string;
  identity: string;
  factorSid: string;
  status: ChallengeStatus;
  message: string;
  fields: { label: string; value: string }[];
  hiddenDetails: Record<string, string> | null;
  metadata: Record<string, string> | null;
  /** Pushes sent for the challenge, the one on creation included. */
  notificationsSent: number;
  dateCreated: number;
  dateUpdated: number;
  dateResponded: number | null;
  expirationDate: number;
  /** Insertion order, to sort challenges created in the same millisecond. */
  seq: number;
}

export interface WebhookRecord {
  sid: string;
  serviceSid: string;
  friendlyName: string;
  eventTypes: string[];
  webhookUrl: string;
  status: 'enabled' | 'disabled';
  version: 'v1' | 'v2';
  dateCreated: number;
  dateUpdated: number;
}

export interface AccessTokenRecord {
  sid: string;
  serviceSid: string;
  identity: string;
  factorFriendlyName: string | null;
  token: string;
  ttl: number;
  dateCreated: number;
  expiresAt: number;
}

const DAY_MS = 24 * 60 * 60_000;

/** How long an unverified factor lives unless the emulator is told otherwise: Twilio's 60318 page says 1 to 24 hours. */
export const DEFAULT_UNVERIFIED_FACTOR_TTL_MS = 60 * 60_000;

export class EmulatorState {
  readonly services = new Map<string, ServiceRecord>();
  /** Keyed by `${serviceSid}/${identity}`. */
  readonly entities = new Map<string, EntityRecord>();
  readonly factors = new Map<string, FactorRecord>();
  readonly challenges = new Map<string, ChallengeRecord>();
  readonly webhooks = new Map<string, WebhookRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  /** When factors were created, by entity key, for Twilio's 100-per-day limit (60326). */
  readonly factorCreations = new Map<string, number[]>();
  private nextSeq = 0;

  constructor(
    readonly now: Clock,
    readonly unverifiedFactorTtlMs: number = DEFAULT_UNVERIFIED_FACTOR_TTL_MS,
  ) {}

  entityKey(serviceSid: string, identity: string): string {
    return `${serviceSid}/${identity}`;
  }

  sequence(): number {
    this.nextSeq += 1;
    return this.nextSeq;
  }

  /**
   * Pending challenges whose expiry has passed become `expired`, read lazily at every access so a
   * test clock can jump forward. Twilio sends no webhook for this, and neither does the emulator.
   */
  refreshExpiry(challenge: ChallengeRecord): ChallengeRecord {
    if (challenge.status === 'pending' && this.now() >= challenge.expirationDate) {
      challenge.status = 'expired';
      // Guess: Twilio reports the expiry moment as the last update.
      challenge.dateUpdated = challenge.expirationDate;
    }
    return challenge;
  }

  /**
   * Unverified factors disappear `unverifiedFactorTtlMs` after creation, as Twilio's 60318 page says they do
   * (1 to 24 hours). Applied before every request, so a test clock can jump past it.
   * Guess: Twilio sends no factor.deleted webhook for them, and neither does the emulator.
   */
  sweepUnverifiedFactors(): void {
    const now = this.now();
    for (const factor of this.factors.values()) {
      if (factor.status === 'unverified' && now >= factor.dateCreated + this.unverifiedFactorTtlMs) this.factors.delete(factor.sid);
    }
  }

  factorByCredential(credentialSid: string): FactorRecord | undefined {
    for (const factor of this.factors.values()) if (factor.credentialSid === credentialSid) return factor;
    return undefined;
  }

  /** Factor creations for the entity in the last 24 hours. */
  recentFactorCreations(serviceSid: string, identity: string): number {
    const key = this.entityKey(serviceSid, identity);
    const since = this.now() - DAY_MS;
    const recent = (this.factorCreations.get(key) ?? []).filter((at) => at > since);
    this.factorCreations.set(key, recent);
    return recent.length;
  }

  recordFactorCreation(serviceSid: string, identity: string): void {
    const key = this.entityKey(serviceSid, identity);
    this.factorCreations.set(key, [...(this.factorCreations.get(key) ?? []), this.now()]);
  }

  factorsOfEntity(serviceSid: string, identity: string): FactorRecord[] {
    return [...this.factors.values()].filter((f) => f.serviceSid === serviceSid && f.identity === identity);
  }

  challengesOfEntity(serviceSid: string, identity: string): ChallengeRecord[] {
    return [...this.challenges.values()]
      .filter((c) => c.serviceSid === serviceSid && c.identity === identity)
      .map((c) => this.refreshExpiry(c));
  }

  deleteEntity(entity: EntityRecord): void {
    for (const factor of this.factorsOfEntity(entity.serviceSid, entity.identity)) this.factors.delete(factor.sid);
    for (const challenge of this.challengesOfEntity(entity.serviceSid, entity.identity)) this.challenges.delete(challenge.sid);
    this.entities.delete(this.entityKey(entity.serviceSid, entity.identity));
  }
}
