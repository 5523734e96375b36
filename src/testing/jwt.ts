import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Compact ES256 JWTs with node:crypto: the device signs with its factor key, the emulator
 * verifies with the public key stored on the factor. Signatures use the JOSE form (r || s,
 * "ieee-p1363"), not DER, so any JOSE library could check them too.
 */

export type JwtClaims = Record<string, unknown>;

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

export function signEs256(claims: JwtClaims, privateKey: KeyObject, kid?: string): string {
  const header = kid === undefined ? { alg: 'ES256', typ: 'JWT' } : { alg: 'ES256', typ: 'JWT', kid };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${base64url(signature)}`;
}

export interface DecodedJwt {
  header: JwtClaims;
  claims: JwtClaims;
}

function parseJsonObject(part: string): JwtClaims | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads header and claims without checking the signature (to find which key to check it with). */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = parseJsonObject(parts[0] ?? '');
  const claims = parseJsonObject(parts[1] ?? '');
  return header && claims ? { header, claims } : undefined;
}

/**
 * Checks an ES256 JWT against a public key and returns its claims, or undefined when the
 * token is malformed, names another algorithm (no "none" or HMAC downgrade), or the signature fails.
 */
export function verifyEs256(token: string, publicKey: KeyObject): JwtClaims | undefined {
  const decoded = decodeJwt(token);
  if (!decoded || decoded.header['alg'] !== 'ES256') return undefined;
  const [headerPart, claimsPart, signaturePart] = token.split('.');
  const signature = Buffer.from(signaturePart ?? '', 'base64url');
  if (signature.length !== 64) return undefined;
  const ok = verify('sha256', Buffer.from(`${headerPart}.${claimsPart}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  return ok ? decoded.claims : undefined;
}

/** Imports a factor's `Binding.PublicKey` (base64 DER SubjectPublicKeyInfo); undefined unless it is a P-256 key. */
export function importP256PublicKey(base64Der: string): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: Buffer.from(base64Der, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return undefined;
    return key;
  } catch {
    return undefined;
  }
}
