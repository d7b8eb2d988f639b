/**
 * jwt.ts: the three JWS operations the doctor needs, on jose: decode the claims, decode the header,
 * verify the signature with one public JWK. jose's errors become TrustErrors with stable codes; no
 * message or cause carries a byte of the token.
 */
import {
  compactVerify,
  decodeJwt as joseDecodeJwt,
  decodeProtectedHeader as joseDecodeHeader,
  importJWK,
} from 'jose';
import { TrustError } from './errors.js';

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

/** decodeJwt returns the token's claims without verifying anything. */
export function decodeJwt(jwt: string): JwtPayload {
  splitCompact(jwt);
  try {
    return joseDecodeJwt(jwt.trim());
  } catch {
    // No cause: a parser's message may quote the decoded bytes, which are part of the token.
    throw new TrustError('ERR_TRUST_JWT_MALFORMED', "the token's payload is not a base64url JSON object");
  }
}

/** decodeProtectedHeader returns the token's JWS header. */
export function decodeProtectedHeader(jwt: string): ProtectedHeader {
  splitCompact(jwt);
  try {
    return joseDecodeHeader(jwt.trim()) as ProtectedHeader;
  } catch {
    throw new TrustError('ERR_TRUST_JWT_MALFORMED', "the token's header is not a base64url JSON object");
  }
}

/** SAFE_ALGS are the JWS algorithms a CI identity token verified with a public JWKS may use. */
const SAFE_ALGS = /^(RS|PS|ES)(256|384|512)$|^(EdDSA|Ed25519)$/;

/**
 * verifyJwsSignature checks the compact JWS signature with a public JWK (the signature step of jose
 * `jwtVerify`). Resolves false on a bad signature; throws TrustError for unusable algorithms or keys.
 */
export async function verifyJwsSignature(jwt: string, jwk: Jwk): Promise<boolean> {
  splitCompact(jwt);
  const alg = decodeProtectedHeader(jwt).alg;
  if (typeof alg !== 'string') throw new TrustError('ERR_TRUST_JWT_ALG', 'the token header has no "alg"');
  // "none" and HMAC algorithms can never be right for a CI identity token verified with a public JWKS.
  if (!SAFE_ALGS.test(alg))
    throw new TrustError('ERR_TRUST_JWT_ALG', `unsupported or unsafe JWS algorithm "${alg}"`);
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new TrustError(
      'ERR_TRUST_JWT_ALG',
      `the key is for "${String(jwk.alg)}" but the token uses "${alg}"`,
    );
  }
  // Only the public members: a JWKS that (wrongly) publishes a private key is still used as public.
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...pub } = jwk;
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(pub, alg);
  } catch (cause) {
    throw new TrustError('ERR_TRUST_JWKS', `the JWKS key cannot be used for ${alg}`, { cause });
  }
  try {
    await compactVerify(jwt.trim(), key, { algorithms: [alg] });
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return false;
    throw new TrustError('ERR_TRUST_JWKS', `the JWKS key cannot verify a ${alg} signature`, {
      cause: error,
    });
  }
}
