import { audienceList, type Clock } from './claims.js';
import { TrustError, type TrustErrorCode } from './errors.js';
import {
  decodeJwt,
  decodeProtectedHeader,
  type Jwk,
  type JwtPayload,
  type ProtectedHeader,
  verifyJwsSignature,
} from './jwt.js';

/** FetchLike is the slice of WHATWG fetch this module uses; inject the product's HTTP helper. */
export type FetchLike = (
  url: string,
  init?: { headers?: Record<string, string>; redirect?: 'manual' | 'follow' | 'error'; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** CheckName names each step of `checkToken`, in order. */
export type CheckName =
  | 'decode'
  | 'discovery'
  | 'discovery-issuer'
  | 'jwks'
  | 'kid'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expiry'
  | 'not-before'
  | 'issued-at';

/** TokenCheck is one named verification step. `skipped` steps could not run because an earlier one failed. */
export interface TokenCheck {
  name: CheckName;
  ok: boolean;
  skipped?: true;
  detail: string;
  code?: TrustErrorCode;
}

/** CheckTokenOptions are the injected effects and expectations of `checkToken`. */
export interface CheckTokenOptions {
  fetch: FetchLike;
  now: Clock;
  expectedAudience?: string;
  expectedIssuer?: string;
  /** clockSkewSec is the leeway for exp/nbf/iat; default `DEFAULT_CLOCK_SKEW_SEC`. */
  clockSkewSec?: number;
}

/** DEFAULT_CLOCK_SKEW_SEC matches the leeway common relying parties allow (Vault: 60 s clock skew). */
export const DEFAULT_CLOCK_SKEW_SEC = 60;

function discoveryUrl(iss: string): URL {
  const url = new URL(iss);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  // Relying parties only fetch keys over TLS; plain http is accepted for loopback test issuers alone.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TrustError('ERR_TRUST_INSECURE_ISSUER', `issuer ${url.origin} is not https`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  return url;
}

async function getJson(
  fetch: FetchLike,
  url: string,
  what: string,
  code: TrustErrorCode,
): Promise<Record<string, unknown>> {
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'follow' });
  } catch (cause) {
    throw new TrustError(
      code,
      `fetching the ${what} at ${url} failed: ${(cause as Error)?.message ?? 'network error'}`,
      {
        cause,
      },
    );
  }
  if (!res.ok) throw new TrustError(code, `fetching the ${what} at ${url} returned HTTP ${res.status}`);
  let body: unknown;
  try {
    body = await res.json();
  } catch (cause) {
    throw new TrustError(code, `the ${what} at ${url} is not JSON`, { cause });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TrustError(code, `the ${what} at ${url} is not a JSON object`);
  }
  return body as Record<string, unknown>;
}

function fail(name: CheckName, err: unknown): TokenCheck {
  if (err instanceof TrustError) return { name, ok: false, detail: err.message, code: err.code };
  return { name, ok: false, detail: `unexpected error: ${(err as Error)?.message ?? String(err)}` };
}

function skip(name: CheckName, why: string): TokenCheck {
  return { name, ok: false, skipped: true, detail: `not checked: ${why}` };
}

/**
 * checkToken verifies a token the way a relying party would and reports every step: decode, OIDC
 * discovery, JWKS, kid, signature, issuer, audience and the time claims. It keeps going after a
 * failure wherever the later steps still mean something, so one run shows every problem.
 */
export async function checkToken(jwt: string, options: CheckTokenOptions): Promise<TokenCheck[]> {
  const checks: TokenCheck[] = [];
  const skew = options.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC;
  let header: ProtectedHeader;
  let claims: JwtPayload;
  try {
    header = decodeProtectedHeader(jwt);
    claims = decodeJwt(jwt);
    checks.push({
      name: 'decode',
      ok: true,
      detail: `alg ${String(header.alg)}, kid ${String(header.kid ?? '(none)')}`,
    });
  } catch (err) {
    checks.push(fail('decode', err));
    for (const n of [
      'discovery',
      'discovery-issuer',
      'jwks',
      'kid',
      'signature',
      'issuer',
      'audience',
      'expiry',
      'not-before',
      'issued-at',
    ] as const) {
      checks.push(skip(n, 'the token does not decode'));
    }
    return checks;
  }
  const iss = typeof claims['iss'] === 'string' ? claims['iss'] : undefined;

  // Signature chain: discovery → jwks → kid → signature. Each needs the one before.
  let keys: Jwk[] | undefined;
  if (iss === undefined) {
    checks.push({
      name: 'discovery',
      ok: false,
      detail: 'the token has no "iss" claim',
      code: 'ERR_TRUST_ISSUER',
    });
    checks.push(skip('discovery-issuer', 'no discovery document'));
  } else {
    let jwksUri: string | undefined;
    try {
      const url = discoveryUrl(iss).toString();
      const doc = await getJson(options.fetch, url, 'discovery document', 'ERR_TRUST_DISCOVERY');
      checks.push({ name: 'discovery', ok: true, detail: `fetched ${url}` });
      if (doc['issuer'] === iss) {
        checks.push({ name: 'discovery-issuer', ok: true, detail: `discovery "issuer" equals iss ${iss}` });
      } else {
        checks.push({
          name: 'discovery-issuer',
          ok: false,
          detail: `discovery "issuer" is ${JSON.stringify(doc['issuer'])}, token iss is ${JSON.stringify(iss)}`,
          code: 'ERR_TRUST_ISSUER',
        });
      }
      if (typeof doc['jwks_uri'] === 'string') jwksUri = doc['jwks_uri'];
      else
        checks.push({
          name: 'jwks',
          ok: false,
          detail: 'discovery document has no jwks_uri',
          code: 'ERR_TRUST_JWKS',
        });
    } catch (err) {
      checks.push(fail('discovery', err));
      checks.push(skip('discovery-issuer', 'no discovery document'));
    }
    if (jwksUri !== undefined) {
      try {
        const set = await getJson(options.fetch, jwksUri, 'JWKS', 'ERR_TRUST_JWKS');
        if (!Array.isArray(set['keys']))
          throw new TrustError('ERR_TRUST_JWKS', `the JWKS at ${jwksUri} has no "keys" array`);
        keys = set['keys'].filter((k): k is Jwk => k !== null && typeof k === 'object');
        checks.push({ name: 'jwks', ok: true, detail: `fetched ${jwksUri}: ${keys.length} key(s)` });
      } catch (err) {
        checks.push(fail('jwks', err));
      }
    }
  }
  if (!checks.some((c) => c.name === 'jwks')) checks.push(skip('jwks', 'no jwks_uri'));

  let key: Jwk | undefined;
  if (keys === undefined) {
    checks.push(skip('kid', 'no JWKS'));
  } else {
    const candidates = keys.filter((k) => k.use === undefined || k.use === 'sig');
    key =
      header.kid === undefined
        ? candidates.length === 1
          ? candidates[0]
          : undefined
        : candidates.find((k) => k.kid === header.kid);
    if (key)
      checks.push({ name: 'kid', ok: true, detail: `key ${String(key.kid ?? '(no kid)')} found in JWKS` });
    else {
      const known = candidates.map((k) => String(k.kid)).join(', ') || 'none';
      checks.push({
        name: 'kid',
        ok: false,
        detail: `kid ${String(header.kid ?? '(none)')} not in JWKS (has: ${known}); keys may have rotated`,
        code: 'ERR_TRUST_KID',
      });
    }
  }
  if (key === undefined) checks.push(skip('signature', 'no matching key'));
  else {
    try {
      const ok = await verifyJwsSignature(jwt, key);
      checks.push(
        ok
          ? { name: 'signature', ok: true, detail: `${String(header.alg)} signature verifies` }
          : {
              name: 'signature',
              ok: false,
              detail: `${String(header.alg)} signature does not verify`,
              code: 'ERR_TRUST_JWT_SIGNATURE',
            },
      );
    } catch (err) {
      checks.push(fail('signature', err));
    }
  }

  // Claim checks need only the decoded token, so they run whatever happened above.
  if (options.expectedIssuer === undefined) {
    checks.push({
      name: 'issuer',
      ok: iss !== undefined,
      detail: iss ? `iss ${iss} (no expected issuer given)` : 'no "iss" claim',
      ...(iss ? {} : { code: 'ERR_TRUST_ISSUER' as const }),
    });
  } else if (iss === options.expectedIssuer) {
    checks.push({ name: 'issuer', ok: true, detail: `iss equals ${iss}` });
  } else {
    checks.push({
      name: 'issuer',
      ok: false,
      detail: `iss is ${JSON.stringify(iss ?? null)}, expected ${JSON.stringify(options.expectedIssuer)}`,
      code: 'ERR_TRUST_ISSUER',
    });
  }
  const aud = audienceList(claims['aud']);
  if (options.expectedAudience === undefined) {
    checks.push({
      name: 'audience',
      ok: aud.length > 0,
      detail: `aud [${aud.join(', ')}] (no expected audience given)`,
      ...(aud.length ? {} : { code: 'ERR_TRUST_AUDIENCE' as const }),
    });
  } else if (aud.includes(options.expectedAudience)) {
    checks.push({ name: 'audience', ok: true, detail: `aud contains ${options.expectedAudience}` });
  } else {
    checks.push({
      name: 'audience',
      ok: false,
      detail: `aud is [${aud.join(', ')}], expected it to contain ${options.expectedAudience}`,
      code: 'ERR_TRUST_AUDIENCE',
    });
  }
  const nowSec = options.now() / 1000;
  const exp = claims['exp'];
  if (typeof exp !== 'number')
    checks.push({ name: 'expiry', ok: false, detail: 'no numeric "exp" claim', code: 'ERR_TRUST_EXPIRED' });
  else if (nowSec > exp + skew) {
    checks.push({
      name: 'expiry',
      ok: false,
      detail: `expired ${Math.round(nowSec - exp)} s ago (skew ${skew} s)`,
      code: 'ERR_TRUST_EXPIRED',
    });
  } else checks.push({ name: 'expiry', ok: true, detail: `expires in ${Math.round(exp - nowSec)} s` });
  for (const [name, claim] of [
    ['not-before', 'nbf'],
    ['issued-at', 'iat'],
  ] as const) {
    const v = claims[claim];
    if (v === undefined) checks.push({ name, ok: true, detail: `no "${claim}" claim` });
    else if (typeof v !== 'number')
      checks.push({ name, ok: false, detail: `"${claim}" is not a number`, code: 'ERR_TRUST_NOT_YET_VALID' });
    else if (v > nowSec + skew) {
      checks.push({
        name,
        ok: false,
        detail: `${claim} is ${Math.round(v - nowSec)} s in the future (skew ${skew} s); check the clock`,
        code: 'ERR_TRUST_NOT_YET_VALID',
      });
    } else checks.push({ name, ok: true, detail: `${claim} ${Math.round(nowSec - v)} s ago` });
  }
  return checks;
}
