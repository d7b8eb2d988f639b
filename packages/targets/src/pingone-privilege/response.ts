/**
 * response.ts: pure readers of PingOne Privilege answers. Public documentation (seed 002) says only
 * that a successful GET returns a temporary access token which, "after the token is decoded", yields
 * cloud credentials, and that it is valid for 60 minutes. Assumptions, all overridable by options:
 *
 * - Where the token is: `token-field` (a dotted path into a JSON answer) when given; otherwise a bare
 *   JWT body, a JSON string, or the first of `token`, `access_token`, `accessToken`, `workloadToken`,
 *   `jwt` at the top level or under `data`.
 * - "Decoding" is reading a JWT's payload (base64url JSON); a token that is base64 JSON as a whole
 *   is accepted too. Its signature is checked only when `jwks-url` is given.
 * - Expiry is the payload's `exp`; without one, `iat` + 60 min, else the time of the answer + 60 min.
 * - Errors: 401 bad API key, 403 no workload policy granting access now, 404 unknown tenant or
 *   workload, 429 throttled, 5xx server. The body's `code`/`error` and `message` are shown if JSON.
 */
import type { JsonWebKey } from 'node:crypto';
import { ExchangeError, type HttpResponse } from '@federate/core';
import { clip, codeForStatus, optional, parseJsonBody, requestIdOf } from '../shared/response.js';
import type { PingOneMappingEntry } from './options.js';
import { nodeCrypto } from '../shared/node-crypto.js';

/** TARGET is the target name errors carry. */
export const TARGET = 'pingone-privilege';
/** TOKEN_LIFETIME_MS is the documented validity of a workload token. */
export const TOKEN_LIFETIME_MS = 60 * 60_000;
const WHAT = 'PingOne Privilege workload token';
const CANDIDATES = ['token', 'access_token', 'accessToken', 'workloadToken', 'jwt'];
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function bad(message: string, hint?: string, status?: number): ExchangeError {
  return new ExchangeError('ERR_EXCHANGE_BAD_RESPONSE', TARGET, message, {
    ...optional('status', status),
    ...optional('hint', hint),
  });
}

/** getPath reads a dotted path (`aws.accessKeyId`, `creds.0.key`) out of a decoded document. */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur)
      ? /^\d+$/.test(seg)
        ? cur[Number(seg)]
        : undefined
      : (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** extractToken finds the workload token in a 200 answer (see the module comment for the order). */
export function extractToken(res: HttpResponse, tokenField: string | undefined): string {
  const type = (res.headers.get('content-type') ?? '').toLowerCase();
  const text = res.text.trim();
  if (type.includes('html') || text.startsWith('<'))
    throw bad(
      `${WHAT} answered HTTP ${res.status} with an HTML page`,
      'check base-url: it must point at PingOne Privilege itself, not a login page or proxy',
      res.status,
    );
  if (tokenField === undefined && JWT_SHAPE.test(text)) return text;
  if (tokenField !== undefined) {
    const value = getPath(parseJsonBody(res, TARGET, WHAT), tokenField);
    if (typeof value !== 'string' || value.trim() === '')
      throw bad(
        `${WHAT} answer has no string at ${tokenField}`,
        'check token-field against the answer',
        res.status,
      );
    return value.trim();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad(
      `${WHAT} answered HTTP ${res.status} with neither a JWT nor JSON`,
      'check base-url, or set token-field when the token sits in a JSON answer',
      res.status,
    );
  }
  if (typeof parsed === 'string' && parsed.trim() !== '') return parsed.trim();
  for (const prefix of ['', 'data.']) {
    for (const c of CANDIDATES) {
      const v = getPath(parsed, `${prefix}${c}`);
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
    }
  }
  throw bad(
    `${WHAT} answer has none of the expected token fields`,
    `set token-field to the answer's token field (looked for ${CANDIDATES.join(', ')})`,
    res.status,
  );
}

/** DecodedToken is a token's header (when a JWT) and payload. */
export interface DecodedToken {
  readonly header: Record<string, unknown> | undefined;
  readonly payload: Record<string, unknown>;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** decodeToken reads the token's payload without verifying it. */
export function decodeToken(token: string): DecodedToken {
  if (JWT_SHAPE.test(token)) {
    const [h, p] = token.split('.');
    const header = jsonObject(Buffer.from(h ?? '', 'base64url').toString('utf8'));
    const payload = jsonObject(Buffer.from(p ?? '', 'base64url').toString('utf8'));
    if (header && payload) return { header, payload };
  } else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(token)) {
    const payload = jsonObject(Buffer.from(token, 'base64').toString('utf8'));
    if (payload) return { header: undefined, payload };
  }
  throw bad(
    `${WHAT} could not be decoded (neither a JWT nor base64 JSON)`,
    'check base-url and token-field: the answer did not carry a PingOne Privilege workload token',
  );
}

const ALGS: Record<string, { hash: string | null; options?: Record<string, unknown> }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', options: { padding: 'pss', saltLength: 32 } },
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { hash: null },
};

/** verifyJwtSignature checks a JWT against a JWKS document; it throws ERR_EXCHANGE_BAD_RESPONSE. */
export function verifyJwtSignature(
  token: string,
  header: Record<string, unknown> | undefined,
  jwks: unknown,
): void {
  const alg = typeof header?.['alg'] === 'string' ? header['alg'] : '';
  const spec = ALGS[alg];
  if (!JWT_SHAPE.test(token) || !spec)
    throw bad(`${WHAT} is not a JWT signed with a supported algorithm (got ${clip(alg) || 'none'})`);
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!Array.isArray(keys))
    throw bad('PingOne Privilege signing keys are not a JWKS document', 'check jwks-url');
  const kid = typeof header?.['kid'] === 'string' ? header['kid'] : undefined;
  const candidates = keys.filter(
    (k): k is JsonWebKey =>
      k !== null && typeof k === 'object' && (kid === undefined || (k as { kid?: unknown }).kid === kid),
  );
  const [h, p, s] = token.split('.') as [string, string, string];
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const crypto = nodeCrypto();
  for (const jwk of candidates) {
    try {
      const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
      const options =
        spec.options?.['padding'] === 'pss'
          ? { ...spec.options, padding: crypto.constants.RSA_PKCS1_PSS_PADDING }
          : spec.options;
      if (crypto.verify(spec.hash, data, { key, ...options } as never, signature)) return;
    } catch {
      // A key of another type: try the next one.
    }
  }
  throw new ExchangeError(
    'ERR_EXCHANGE_BAD_RESPONSE',
    TARGET,
    `${WHAT} signature does not verify against the keys at jwks-url${kid ? ` (kid ${clip(kid)})` : ''}`,
    {
      serverCode: 'InvalidSignature',
      hint: 'check jwks-url; if PingOne Privilege rotated its keys, retry; never trust an unverifiable token',
    },
  );
}

/** expiryOf is `exp`, else `iat` + 60 min, else `now` + 60 min (the documented lifetime). */
export function expiryOf(payload: Record<string, unknown>, now: number): { at: Date; assumed: boolean } {
  const exp = payload['exp'];
  if (typeof exp === 'number' && Number.isFinite(exp)) return { at: new Date(exp * 1000), assumed: false };
  const iat = payload['iat'];
  const base = typeof iat === 'number' && Number.isFinite(iat) ? iat * 1000 : now;
  return { at: new Date(base + TOKEN_LIFETIME_MS), assumed: true };
}

/** MappedValue is one exported credential. */
export interface MappedValue {
  readonly env: string;
  readonly value: string;
}

/**
 * mapCredentials applies the mapping. A user's mapping is strict (a `?` entry may be absent). The
 * default mapping is per cloud: a cloud absent from the token is skipped, a cloud present in part
 * is an error (half an AWS key pair is worse than none). At least one value must come out.
 */
export function mapCredentials(
  payload: Record<string, unknown>,
  mapping: readonly PingOneMappingEntry[],
  isDefault: boolean,
): MappedValue[] {
  const read = (e: PingOneMappingEntry) => {
    const v = getPath(payload, e.path);
    return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const out: MappedValue[] = [];
  const missing: string[] = [];
  const present = new Set(mapping.filter((e) => read(e) !== undefined).map((e) => e.path.split('.')[0]));
  for (const e of mapping) {
    const v = read(e);
    if (v !== undefined) out.push({ env: e.env, value: v });
    else if (isDefault ? present.has(e.path.split('.')[0]) : !e.optional)
      missing.push(`${e.env} (${e.path})`);
  }
  const fields = Object.keys(payload)
    .filter((k) => /^[A-Za-z0-9_$-]{1,64}$/.test(k))
    .slice(0, 20)
    .join(', ');
  if (missing.length > 0)
    throw bad(
      `${WHAT} lacks ${missing.join(', ')}`,
      `set mapping to the decoded token's fields (its top-level fields are: ${fields || 'none'})`,
    );
  if (out.length === 0)
    throw bad(
      `${WHAT} carries none of the mapped credentials`,
      `set mapping to the decoded token's fields (its top-level fields are: ${fields || 'none'}), and check that the workload identity selects cloud accounts`,
    );
  return out;
}

/** WorkloadCall is what was asked, for messages and hints. */
export interface WorkloadCall {
  readonly tenant: string;
  readonly namespace: string;
  readonly workload: string;
  readonly apiKeySource: string;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  429: 'TooManyRequests',
};

function hintFor(status: number, call: WorkloadCall): string | undefined {
  if (status === 401)
    return `PingOne Privilege did not accept the API key from ${call.apiKeySource}: copy the workload's API key again (Workloads → ${call.workload}) into a masked CI secret`;
  if (status === 403)
    return `workload ${call.namespace}/${call.workload} has no policy granting access now: add a workload policy for the cloud account and check its Start and End time`;
  if (status === 404)
    return `no workload identity ${call.namespace}/${call.workload} in tenant ${call.tenant}: check tenant, namespace, workload and base-url`;
  if (status === 400) return 'check tenant, namespace and workload';
  if (status === 429)
    return 'PingOne Privilege is throttling this workload; fetch less often (tokens last 60 minutes)';
  return undefined;
}

/** workloadTokenError turns a non-2xx answer into an ExchangeError (the run redacts echoed secrets). */
export function workloadTokenError(res: HttpResponse, call: WorkloadCall): ExchangeError {
  const body = jsonObject(res.text);
  const str = (k: string) => (typeof body?.[k] === 'string' ? (body[k] as string) : undefined);
  const serverCode = str('code') ?? str('error') ?? STATUS_NAMES[res.status];
  const text = str('message') ?? str('error_description') ?? str('detail') ?? (body ? undefined : res.text);
  const type = res.headers.get('content-type') ?? '';
  const detail = text && !type.includes('html') ? `: ${clip(text)}` : '';
  return new ExchangeError(
    codeForStatus(res.status) === 'ERR_EXCHANGE_REJECTED' && res.status === 403
      ? 'ERR_EXCHANGE_POLICY'
      : codeForStatus(res.status),
    TARGET,
    `PingOne Privilege refused a workload token for ${call.tenant}/${call.namespace}/${call.workload} (HTTP ${res.status})${detail}`,
    {
      status: res.status,
      ...optional('serverCode', serverCode ? clip(serverCode) : undefined),
      ...optional('requestId', requestIdOf(res)),
      ...optional('hint', hintFor(res.status, call)),
    },
  );
}
