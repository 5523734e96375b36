import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * Factor verification's `AuthPayload`: the device proves it holds the factor key by signing the factor SID
 * (its UTF-8 bytes) with ECDSA P-256 / SHA-256 and sending the DER signature, standard base64 — not a JWT.
 * twilio-verify-android domain/factor/PushFactory.kt (verify: keyStorage.signAndEncode(alias, sid)) and
 * data/KeyStoreAdapter.kt (SHA256withECDSA, Base64 NO_WRAP); twilio-verify-ios Sources/Data/KeyStorage.swift
 * (signAndEncode: signature.base64EncodedString()).
 */

export function signFactorProof(factorSid: string, privateKey: KeyObject): string {
  return sign('sha256', Buffer.from(factorSid, 'utf8'), { key: privateKey, dsaEncoding: 'der' }).toString('base64');
}

export function isValidFactorProof(factorSid: string, authPayload: string, publicKey: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(authPayload)) return false;
  try {
    return verify('sha256', Buffer.from(factorSid, 'utf8'), { key: publicKey, dsaEncoding: 'der' }, Buffer.from(authPayload, 'base64'));
  } catch {
    return false;
  }
}
