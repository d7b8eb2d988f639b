/**
 * oauth.ts: OAuth 2.0 token-endpoint pieces shared by the Entra and generic OAuth targets: the grant and
 * token-type URNs, RFC 6749 client authentication, the §5.1 success body and the §5.2 error body (also
 * when a 401 carries the error only in WWW-Authenticate), each with a hint that fixes the usual cause.
 */
import { ExchangeError, type HttpResponse, jwtExpiry } from '@federate/core';
import {
  clip,
  codeForStatus,
  expiryFrom,
  type OAuthErrorBody,
  optional,
  parseJsonBody,
  parseOAuthError,
  requestIdOf,
  requireString,
} from './response.js';

/** GRANT_TOKEN_EXCHANGE is RFC 8693 §2.1's grant type. */
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** GRANT_JWT_BEARER is RFC 7523 §2.1's grant type (a JWT as the authorization grant). */
export const GRANT_JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** GRANT_CLIENT_CREDENTIALS is RFC 6749 §4.4's grant type. */
export const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
/** CLIENT_ASSERTION_TYPE_JWT is RFC 7523 §2.2's client assertion type. */
export const CLIENT_ASSERTION_TYPE_JWT = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** TOKEN_TYPE_ACCESS_TOKEN and its siblings are RFC 8693 §3's token type identifiers. */
export const TOKEN_TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
/** TOKEN_TYPE_JWT is RFC 7519 §9's token type for any JWT (what CI OIDC tokens are). */
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';
/** TOKEN_TYPE_ID_TOKEN identifies an OpenID Connect ID token. */
export const TOKEN_TYPE_ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
/** TOKEN_TYPE_REFRESH_TOKEN identifies an OAuth refresh token. */
export const TOKEN_TYPE_REFRESH_TOKEN = 'urn:ietf:params:oauth:token-type:refresh_token';

/**
 * basicAuthorization builds RFC 6749 §2.3.1's header: client id and secret are each
 * form-urlencoded before being joined and base64-encoded (many clients forget the encoding step).
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`, 'utf8').toString('base64')}`;
}

/** parseWwwAuthenticate reads `error` and `error_description` from a WWW-Authenticate challenge. */
export function parseWwwAuthenticate(
  value: string | null | undefined,
): { scheme: string; error?: string; errorDescription?: string } | undefined {
  if (!value) return undefined;
  const scheme = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)/.exec(value)?.[1];
  if (scheme === undefined) return undefined;
  const params: Record<string, string> = {};
  for (const m of value.matchAll(/([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    const name = (m[1] as string).toLowerCase();
    params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return {
    scheme,
    ...optional('error', params['error']),
    ...optional('errorDescription', params['error_description']),
  };
}

/** OAUTH_ERROR_CODES are RFC 6749 §5.2's codes plus RFC 8707/8693's invalid_target. */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
] as const;

/** OAuthFailure is an OAuth error from the body or, failing that, from WWW-Authenticate. */
export interface OAuthFailure extends OAuthErrorBody {
  /** fromHeader tells the error came from WWW-Authenticate (a 401 without a JSON body). */
  fromHeader: boolean;
}

/** readOAuthFailure reads an OAuth error from a non-2xx answer, or undefined when there is none. */
export function readOAuthFailure(res: HttpResponse): OAuthFailure | undefined {
  const body = parseOAuthError(res);
  if (body) return { ...body, fromHeader: false };
  const challenge = parseWwwAuthenticate(res.headers.get('www-authenticate'));
  if (challenge?.error === undefined) return undefined;
  return {
    error: challenge.error,
    errorDescription: challenge.errorDescription,
    errorUri: undefined,
    errorCodes: undefined,
    fromHeader: true,
  };
}

/** oauthFailureError turns a non-2xx token-endpoint answer into an ExchangeError with a hint. */
export function oauthFailureError(
  res: HttpResponse,
  target: string,
  what: string,
  hint: (err: OAuthFailure | undefined) => string | undefined,
): ExchangeError {
  const err = readOAuthFailure(res);
  const type = res.headers.get('content-type') ?? '';
  const html = /html/i.test(type) || /^\s*</.test(res.text);
  const detail = err
    ? `${err.error}${err.errorDescription ? `: ${clip(err.errorDescription.split(/\r?\n/)[0] ?? '')}` : ''}`
    : html
      ? `HTTP ${res.status} with an HTML page (content-type ${clip(type) || 'none'})`
      : `HTTP ${res.status}${res.text ? `: ${clip(res.text)}` : ''}`;
  const h = hint(err);
  return new ExchangeError(codeForStatus(res.status), target, `${what} rejected the exchange: ${detail}`, {
    status: res.status,
    ...optional('serverCode', err?.error),
    ...optional('requestId', requestIdOf(res)),
    ...optional('hint', h),
  });
}

/** TokenResponse is RFC 6749 §5.1's (and RFC 8693 §2.2.1's) success body, checked. */
export interface TokenResponse {
  accessToken: string;
  tokenType: string;
  expiresAt: Date | undefined;
  issuedTokenType: string | undefined;
  refreshToken: string | undefined;
  scope: string | undefined;
}

/**
 * parseTokenResponse reads a 2xx token-endpoint answer. `token_type` must be Bearer (or N_A, RFC 8693
 * §2.2.1, for tokens that are not access tokens); another type (DPoP, MAC) needs proof we cannot give.
 */
export function parseTokenResponse(
  res: HttpResponse,
  target: string,
  what: string,
  now: number,
): TokenResponse {
  const body = parseJsonBody(res, target, what);
  const accessToken = requireString(body, 'access_token', target, what);
  const rawType = body['token_type'];
  if (typeof rawType !== 'string' || rawType === '') {
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      target,
      `${what} answered without the token_type field`,
      {
        status: res.status,
        ...optional('requestId', requestIdOf(res)),
        hint: 'RFC 6749 §5.1 requires token_type; check the endpoint URL points at a token endpoint',
      },
    );
  }
  if (!/^(bearer|n_a)$/i.test(rawType)) {
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      target,
      `${what} issued a token of type ${clip(rawType)}, which Federate cannot use (only Bearer)`,
      {
        status: res.status,
        ...optional('requestId', requestIdOf(res)),
        hint: 'configure the server to issue Bearer tokens for this client',
      },
    );
  }
  const str = (k: string) =>
    typeof body[k] === 'string' && body[k] !== '' ? (body[k] as string) : undefined;
  return {
    accessToken,
    tokenType: rawType,
    expiresAt: expiryFrom(body['expires_in'], now) ?? jwtExpiry(accessToken),
    issuedTokenType: str('issued_token_type'),
    refreshToken: str('refresh_token'),
    scope: str('scope'),
  };
}
