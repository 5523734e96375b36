import { createHmac } from 'node:crypto';
import { VerifyPushError } from '../errors.js';
import { assertIdentity } from '../sids.js';

/**
 * The default Verify identity: HMAC-SHA256(identitySecret, userId) as 64 hex characters.
 *
 * Why an HMAC and not the user id or a plain hash: the identity is stored by Twilio and shown in its
 * console and logs, so it must not be PII (Twilio's rule). A plain SHA-256 of a small, guessable id space
 * (1, 2, 3… or e-mail addresses) can be reversed by hashing candidates; a keyed hash cannot without the
 * secret. The result is stable for a user as long as the secret does not change (changing it orphans every
 * enrolled device, so treat it like a database key, not like a session secret that rotates).
 */
export function hmacIdentity(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}

/**
 * The gate derives the identity on every protected request; remembering recent ones (per strategy, bounded,
 * oldest dropped first) takes the HMAC off that hot path. The cache holds only identities, never secrets.
 */
const MAX_REMEMBERED_IDENTITIES = 10_000;
const rememberedIdentities = new WeakMap<object, Map<string, string>>();

function rememberedHmacIdentity(owner: object, secret: string, userId: string): string {
  let cache = rememberedIdentities.get(owner);
  if (!cache) {
    cache = new Map();
    rememberedIdentities.set(owner, cache);
  }
  let identity = cache.get(userId);
  if (identity === undefined) {
    identity = checkIdentity(hmacIdentity(secret, userId));
    if (cache.size >= MAX_REMEMBERED_IDENTITIES) cache.delete(cache.keys().next().value as string);
    cache.set(userId, identity);
  }
  return identity;
}

/** Checks an identity produced at request time (default or the app's override). */
export function checkIdentity(value: unknown): string {
  if (typeof value !== 'string') {
    throw new VerifyPushError('INVALID_IDENTITY', 'The identity option must return a string.');
  }
  return assertIdentity(value);
}

export interface IdentitySource<User, Req> {
  identityFunction: ((user: User, req?: Req) => string | Promise<string>) | undefined;
  identitySecret: string | undefined;
  userId(user: User): string;
}

/** The Verify identity of a user: the app's `identity` option, else the HMAC default; always checked. */
export async function resolveIdentity<User, Req>(source: IdentitySource<User, Req>, user: User, req?: Req): Promise<string> {
  if (source.identityFunction) return checkIdentity(await source.identityFunction(user, req));
  if (source.identitySecret === undefined) {
    throw new VerifyPushError('INVALID_OPTION', 'The `identitySecret` option is required unless you give the `identity` option.');
  }
  const userId = source.userId(user);
  if (typeof userId !== 'string' || userId === '') {
    throw new VerifyPushError('INVALID_OPTION', 'The `userId` option must return a non-empty string.');
  }
  return rememberedHmacIdentity(source, source.identitySecret, userId);
}
