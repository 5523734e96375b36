import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Compact ES256 JWTs with node:crypto, the form Twilio's mobile SDKs sign in: header and payload as JSON,
 * base64url without padding, and an ECDSA P-256 / SHA-256 signature in the JOSE form (r || s, 64 bytes).
 * The SDKs sign DER and transcode it to r || s (twilio-verify-android data/jwt/JwtSigner.kt,
 * twilio-verify-ios Sources/Data/JWT/JwtSigner.swift), and add `typ: "JWT"` and `alg: "ES256"` to the header
 * they are given (JwtGenerator.kt, JwtGenerator.swift).
 */

export type JwtFields = Record<string, unknown>;

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** Signs `claims` with `header` plus `typ` and `alg`, as the SDKs' JWT generators do. */
export function signEs256(header: JwtFields, claims: JwtFields, privateKey: KeyObject): string {
  const fullHeader = { ...header, typ: 'JWT', alg: 'ES256' };
  const signingInput = `${base64url(JSON.stringify(fullHeader))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${base64url(signature)}`;
}

export interface DecodedJwt {
  header: JwtFields;
  claims: JwtFields;
}

function parseJsonObject(part: string): JwtFields | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JwtFields) : undefined;
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
 * Whether an ES256 JWT is signed by `publicKey`. False when the token is malformed, names another algorithm
 * (no "none" or HMAC downgrade), or the signature fails.
 */
export function hasValidEs256Signature(token: string, publicKey: KeyObject): boolean {
  const decoded = decodeJwt(token);
  if (!decoded || decoded.header['alg'] !== 'ES256') return false;
  const [headerPart, claimsPart, signaturePart] = token.split('.');
  if (!/^[A-Za-z0-9_-]+$/.test(signaturePart ?? '')) return false;
  const signature = Buffer.from(signaturePart ?? '', 'base64url');
  if (signature.length !== 64) return false;
  return verify('sha256', Buffer.from(`${headerPart}.${claimsPart}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
}

/** The claims of an ES256 JWT signed by `publicKey`, or undefined. */
export function verifyEs256(token: string, publicKey: KeyObject): JwtFields | undefined {
  return hasValidEs256Signature(token, publicKey) ? decodeJwt(token)?.claims : undefined;
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
