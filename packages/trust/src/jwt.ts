import { TrustError } from './errors.js';

// jose is not a dependency of @federate/trust yet (it resolves only from core and testkit, and this
// package's manifest is not ours to edit). This module keeps jose's names and semantics for the three
// operations we need, on WebCrypto alone, so replacing it with `jose` is a one-file change.

/** JwtPayload is a decoded, unverified claim set. */
export type JwtPayload = Record<string, unknown>;

/** ProtectedHeader is a decoded JWS protected header. */
export interface ProtectedHeader {
  alg?: string;
  kid?: string;
  typ?: string;
  [key: string]: unknown;
}

/** Jwk is a public JSON Web Key as served by a JWKS endpoint. */
export interface Jwk {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  crv?: string;
  [key: string]: unknown;
}

function splitCompact(jwt: string): [string, string, string] {
  if (typeof jwt !== 'string') throw new TypeError('jwt must be a string');
  const parts = jwt.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || !parts[0] || !parts[1]) {
    throw new TrustError('ERR_TRUST_JWT_MALFORMED', 'the token is not a compact JWS (three base64url parts)');
  }
  return parts as [string, string, string];
}

/** base64UrlDecode decodes unpadded base64url into bytes. */
export function base64UrlDecode(part: string): Uint8Array<ArrayBuffer> {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64UrlDecode(part)));
  } catch {
    // No cause: JSON.parse's message quotes the decoded bytes, which are part of the token.
    throw new TrustError('ERR_TRUST_JWT_MALFORMED', `the token's ${what} is not base64url JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TrustError('ERR_TRUST_JWT_MALFORMED', `the token's ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** decodeJwt returns the token's claims without verifying anything (jose `decodeJwt`). */
export function decodeJwt(jwt: string): JwtPayload {
  return decodeJsonPart(splitCompact(jwt)[1], 'payload');
}

/** decodeProtectedHeader returns the token's JWS header (jose `decodeProtectedHeader`). */
export function decodeProtectedHeader(jwt: string): ProtectedHeader {
  return decodeJsonPart(splitCompact(jwt)[0], 'header') as ProtectedHeader;
}

// WebCrypto types derived from the global, so this file needs neither the DOM lib nor node:crypto.
type Subtle = typeof crypto.subtle;
type ImportAlg = Parameters<Subtle['importKey']>[2];
type VerifyAlg = Parameters<Subtle['verify']>[0];
type ImportedKey = Awaited<ReturnType<Subtle['importKey']>>;
type Params = { import: ImportAlg; verify: VerifyAlg };

function algParams(alg: string): Params {
  const hash = `SHA-${alg.slice(2)}`;
  if (/^RS(256|384|512)$/.test(alg)) {
    return { import: { name: 'RSASSA-PKCS1-v1_5', hash }, verify: { name: 'RSASSA-PKCS1-v1_5' } };
  }
  if (/^PS(256|384|512)$/.test(alg)) {
    return {
      import: { name: 'RSA-PSS', hash },
      verify: { name: 'RSA-PSS', saltLength: Number(alg.slice(2)) / 8 },
    };
  }
  if (/^ES(256|384|512)$/.test(alg)) {
    const curve = alg === 'ES512' ? 'P-521' : `P-${alg.slice(2)}`;
    return { import: { name: 'ECDSA', namedCurve: curve }, verify: { name: 'ECDSA', hash } };
  }
  if (alg === 'EdDSA' || alg === 'Ed25519')
    return { import: { name: 'Ed25519' }, verify: { name: 'Ed25519' } };
  // "none" and HMAC algorithms can never be right for a CI identity token verified with a public JWKS.
  throw new TrustError('ERR_TRUST_JWT_ALG', `unsupported or unsafe JWS algorithm "${alg}"`);
}

/**
 * verifyJwsSignature checks the compact JWS signature with a public JWK (the signature step of jose
 * `jwtVerify`). Resolves false on a bad signature; throws TrustError for unusable algorithms or keys.
 */
export async function verifyJwsSignature(jwt: string, jwk: Jwk): Promise<boolean> {
  const [h, p, s] = splitCompact(jwt);
  const alg = decodeProtectedHeader(jwt).alg;
  if (typeof alg !== 'string') throw new TrustError('ERR_TRUST_JWT_ALG', 'the token header has no "alg"');
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new TrustError(
      'ERR_TRUST_JWT_ALG',
      `the key is for "${String(jwk.alg)}" but the token uses "${alg}"`,
    );
  }
  const params = algParams(alg);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...pub } = jwk;
  let key: ImportedKey;
  try {
    key = await crypto.subtle.importKey(
      'jwk',
      pub as never /* a JWK; the derived overload type cannot name it */,
      params.import,
      false,
      ['verify'],
    );
  } catch (cause) {
    throw new TrustError('ERR_TRUST_JWKS', `the JWKS key cannot be used for ${alg}`, { cause });
  }
  const data = new TextEncoder().encode(`${h}.${p}`);
  return crypto.subtle.verify(params.verify, key, base64UrlDecode(s), data);
}
