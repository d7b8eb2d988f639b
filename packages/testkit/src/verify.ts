import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { type Clock, systemClock } from './clock.js';

/** TrustedIssuer is an issuer the verifier accepts, with where to find its keys. */
export interface TrustedIssuer {
  /** issuer must equal the token's `iss` exactly. */
  issuer: string;
  /** jwksUri skips discovery; needed when `issuer` is not reachable (e.g. `https://accounts.google.com`). */
  jwksUri?: string;
  /** discoveryUrl overrides `<issuer>/.well-known/openid-configuration`. */
  discoveryUrl?: string;
}

/** AudienceCheck is an allowed audience, a list of them (any one suffices), or a predicate. */
export type AudienceCheck = string | readonly string[] | ((aud: string[]) => boolean);

/** VerifyOptions configures verifyJwt. */
export interface VerifyOptions {
  trusted: TrustedIssuer[];
  audience?: AudienceCheck;
  /** clockSkewSec is the leeway for exp, nbf and iat; default 60. */
  clockSkewSec?: number;
  clock?: Clock;
  /** requiredClaims must be present (reason `missing_claim` otherwise); `exp` is always required. */
  requiredClaims?: string[];
  /** ca is extra PEM CA certificate(s) trusted when fetching discovery and JWKS over https. */
  ca?: string | string[];
  /** cache defaults to the process-wide `defaultJwksCache`. */
  cache?: JwksCache;
  /** timeoutMs bounds each discovery/JWKS fetch; default 5000. */
  timeoutMs?: number;
}

/** VerifyFailureReason says which check rejected a token. */
export type VerifyFailureReason =
  | 'malformed'
  | 'untrusted_issuer'
  | 'discovery_failed'
  | 'jwks_failed'
  | 'signature'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim';

/** VerifyResult is the verdict of verifyJwt; `detail` never contains the token. */
export type VerifyResult =
  | { ok: true; claims: JWTPayload & Record<string, unknown>; header: ProtectedHeaderParameters }
  | { ok: false; reason: VerifyFailureReason; detail: string };

interface JwksEntry {
  jwks: JSONWebKeySet;
  fetchedAt: number;
}

/** JwksCache keeps discovery results and JWKS documents between verifications. */
export interface JwksCache {
  /** maxAgeMs is how long a fetched JWKS is used before it is fetched again. */
  readonly maxAgeMs: number;
  /** invalidate forgets one JWKS URI (or everything) so the next verification refetches. */
  invalidate(jwksUri?: string): void;
  /** @internal */
  jwks: Map<string, JwksEntry>;
  /** @internal */
  discovery: Map<string, string>;
}

/** createJwksCache returns an empty cache; JWKS entries expire after `maxAgeMs` (default 5 minutes). */
export function createJwksCache(opts: { maxAgeMs?: number } = {}): JwksCache {
  const jwks = new Map<string, JwksEntry>();
  const discovery = new Map<string, string>();
  return {
    maxAgeMs: opts.maxAgeMs ?? 5 * 60 * 1000,
    jwks,
    discovery,
    invalidate(jwksUri) {
      if (jwksUri === undefined) {
        jwks.clear();
        discovery.clear();
      } else {
        jwks.delete(jwksUri);
      }
    },
  };
}

/**
 * defaultJwksCache is shared by every verifyJwt call without its own cache. Testkit issuers invalidate
 * their entry when a key is revoked, standing in for the cache expiry a real verifier would wait out.
 */
export const defaultJwksCache: JwksCache = createJwksCache();

class FetchError extends Error {}

function fetchJson(url: string, ca: string | string[] | undefined, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new FetchError('invalid URL'));
      return;
    }
    const isHttps = target.protocol === 'https:';
    if (!isHttps && target.protocol !== 'http:') {
      reject(new FetchError(`unsupported scheme ${target.protocol}`));
      return;
    }
    const options = {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 'federate-testkit-verifier' },
      timeout: timeoutMs,
      ...(isHttps && ca !== undefined ? { ca } : {}),
    };
    const req = (isHttps ? httpsRequest : httpRequest)(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(new FetchError(e.message)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          reject(new FetchError(`HTTP ${status}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new FetchError(`unparsable JSON (content-type ${res.headers['content-type'] ?? 'none'})`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new FetchError(`timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof FetchError ? e : new FetchError(e.message)));
    req.end();
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const ASYMMETRIC_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

function fail(reason: VerifyFailureReason, detail: string): VerifyResult {
  return { ok: false, reason, detail };
}

function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * verifyJwt checks a JWT the way a relying party does: trusted issuer, keys from the issuer's discovery
 * document and JWKS over real HTTP, signature, then time and audience claims. A JWKS is cached per
 * URI and refetched once when the token's kid is unknown, so rotation works; a kid still absent after
 * the refetch (a revoked key) fails with reason `signature`.
 */
export async function verifyJwt(token: string, opts: VerifyOptions): Promise<VerifyResult> {
  const clock = opts.clock ?? systemClock;
  const skew = opts.clockSkewSec ?? 60;
  const cache = opts.cache ?? defaultJwksCache;
  const timeoutMs = opts.timeoutMs ?? 5000;

  if (typeof token !== 'string' || token.split('.').length !== 3) {
    return fail('malformed', 'not a compact JWS with three segments');
  }
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload & Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token) as JWTPayload & Record<string, unknown>;
  } catch (err) {
    return fail('malformed', `cannot decode token: ${errorText(err)}`);
  }

  const iss = claims.iss;
  if (typeof iss !== 'string' || iss.length === 0) return fail('missing_claim', 'token has no iss claim');
  const trusted = opts.trusted.find((t) => t.issuer === iss);
  if (!trusted) return fail('untrusted_issuer', `issuer ${JSON.stringify(iss)} is not trusted`);

  let jwksUri = trusted.jwksUri;
  if (jwksUri === undefined) {
    const discoveryUrl =
      trusted.discoveryUrl ?? `${trusted.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    jwksUri = cache.discovery.get(discoveryUrl);
    if (jwksUri === undefined) {
      let doc: unknown;
      try {
        doc = await fetchJson(discoveryUrl, opts.ca, timeoutMs);
      } catch (err) {
        return fail('discovery_failed', `fetching ${discoveryUrl}: ${errorText(err)}`);
      }
      const d = doc as { issuer?: unknown; jwks_uri?: unknown } | null;
      if (typeof d !== 'object' || d === null || typeof d.jwks_uri !== 'string') {
        return fail('discovery_failed', `${discoveryUrl} has no jwks_uri`);
      }
      // OpenID Connect Discovery 1.0 §4.3: the document's issuer must equal the issuer it was fetched for.
      if (d.issuer !== trusted.issuer) {
        return fail('discovery_failed', `${discoveryUrl} names issuer ${JSON.stringify(d.issuer)}`);
      }
      jwksUri = d.jwks_uri;
      cache.discovery.set(discoveryUrl, jwksUri);
    }
  }

  const loadJwks = async (): Promise<JSONWebKeySet | string> => {
    try {
      const doc = (await fetchJson(jwksUri, opts.ca, timeoutMs)) as { keys?: unknown } | null;
      if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.keys))
        return `${jwksUri} has no keys array`;
      const jwks = doc as JSONWebKeySet;
      cache.jwks.set(jwksUri, { jwks, fetchedAt: Date.now() });
      return jwks;
    } catch (err) {
      return `fetching ${jwksUri}: ${errorText(err)}`;
    }
  };

  let fetchedNow = false;
  let cached = cache.jwks.get(jwksUri);
  if (!cached || Date.now() - cached.fetchedAt > cache.maxAgeMs) {
    const loaded = await loadJwks();
    if (typeof loaded === 'string') return fail('jwks_failed', loaded);
    fetchedNow = true;
    cached = { jwks: loaded, fetchedAt: Date.now() };
  }

  const attempt = async (jwks: JSONWebKeySet): Promise<'ok' | 'nokey' | string> => {
    try {
      await compactVerify(token, createLocalJWKSet(jwks), { algorithms: ASYMMETRIC_ALGS });
      return 'ok';
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'nokey';
      return `${code ?? 'error'}: ${errorText(err)}`;
    }
  };

  let outcome = await attempt(cached.jwks);
  if (outcome === 'nokey' && !fetchedNow) {
    const loaded = await loadJwks();
    if (typeof loaded === 'string') return fail('jwks_failed', loaded);
    outcome = await attempt(loaded);
  }
  if (outcome === 'nokey') {
    return fail(
      'signature',
      `no key in ${jwksUri} matches kid ${JSON.stringify(header.kid)} (${header.alg})`,
    );
  }
  if (outcome !== 'ok') return fail('signature', outcome);

  if (claims.exp === undefined) return fail('missing_claim', 'token has no exp claim');
  for (const name of opts.requiredClaims ?? []) {
    if (claims[name] === undefined) return fail('missing_claim', `token has no ${name} claim`);
  }
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    if (claims[name] !== undefined && !isNumericDate(claims[name])) {
      return fail('malformed', `${name} is not a NumericDate`);
    }
  }

  const now = clock.now() / 1000;
  if (isNumericDate(claims.exp) && claims.exp <= now - skew) {
    return fail('expired', `exp ${claims.exp} is before now ${Math.floor(now)} (leeway ${skew}s)`);
  }
  if (isNumericDate(claims.nbf) && claims.nbf > now + skew) {
    return fail('not_yet_valid', `nbf ${claims.nbf} is after now ${Math.floor(now)} (leeway ${skew}s)`);
  }
  if (isNumericDate(claims.iat) && claims.iat > now + skew) {
    return fail('not_yet_valid', `iat ${claims.iat} is after now ${Math.floor(now)} (leeway ${skew}s)`);
  }

  if (opts.audience !== undefined) {
    if (claims.aud === undefined) return fail('missing_claim', 'token has no aud claim');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.every((a) => typeof a === 'string'))
      return fail('malformed', 'aud is not a string or string array');
    const check = opts.audience;
    const accepted =
      typeof check === 'function'
        ? check(aud)
        : (Array.isArray(check) ? check : [check]).some((want) => aud.includes(want));
    if (!accepted) return fail('audience', `aud ${JSON.stringify(aud)} is not accepted`);
  }

  return { ok: true, claims, header };
}
