import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';

/**
 * The fake GitHub's side of App authentication: a key pair the test generates (PKCS#1 PEM, like the `.pem` GitHub
 * hands out) and verification of the App JWT (RS256) the way GitHub checks it: signature, `iss`, `iat` not in the
 * future, `exp` in the future and at most 10 minutes after `iat`.
 */
export interface AppKeyPair {
  /** PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`). */
  readonly privateKeyPem: string;
  readonly publicKey: KeyObject;
}

export const generateAppKeyPair = (): AppKeyPair => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });

  return { privateKeyPem: privateKey, publicKey: createPublicKey(publicKey) };
};

export type JwtVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const MAX_LIFETIME_S = 10 * 60;
const SKEW_S = 60;

const json = (part: string): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

export const looksLikeJwt = (credential: string): boolean => credential.split('.').length === 3;

/** The claims GitHub checks, once the signature holds. */
const claimsVerdict = (payload: Record<string, unknown>, appId: string, nowSeconds: number): JwtVerdict => {
  const { iss, iat, exp } = payload;
  if (String(iss) !== appId) return { ok: false, reason: `iss ${String(iss)}` };
  if (typeof iat !== 'number' || typeof exp !== 'number') return { ok: false, reason: 'iat/exp missing' };
  if (iat > nowSeconds + SKEW_S) return { ok: false, reason: "'Issued at' claim ('iat') is in the future" };
  if (exp <= nowSeconds) return { ok: false, reason: "'Expiration time' claim ('exp') has passed" };
  if (exp - iat > MAX_LIFETIME_S + SKEW_S)
    return { ok: false, reason: "'Expiration time' claim ('exp') is too far in the future" };

  return { ok: true };
};

export const verifyAppJwt = (token: string, publicKey: KeyObject, appId: string, nowSeconds: number): JwtVerdict => {
  const [headerPart = '', payloadPart = '', signaturePart = '', ...rest] = token.split('.');
  const header = json(headerPart);
  const payload = json(payloadPart);
  if (header === null || payload === null || rest.length > 0) return { ok: false, reason: 'not a JWT' };
  if (header['alg'] !== 'RS256') return { ok: false, reason: `alg ${String(header['alg'])}` };
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  if (!verify('RSA-SHA256', signed, publicKey, Buffer.from(signaturePart, 'base64url')))
    return { ok: false, reason: 'bad signature' };

  return claimsVerdict(payload, appId, nowSeconds);
};
