/**
 * response.ts: the token endpoint's answers for the oauth target. Success is RFC 6749 §5.1 (plus
 * RFC 8693's issued_token_type, tolerated when missing: several real servers omit it); errors are
 * §5.2, mapped to hints per error code and grant.
 */
import { isoTimestamp } from '@federate/core';
import type { Credentials, CredentialValue, ExchangeError, HttpResponse, Logger } from '@federate/core';
import { type OAuthFailure, oauthFailureError, parseTokenResponse } from '../shared/oauth.js';
import type { OAuthGrant, OAuthOptions } from './options.js';
import { oauthWhat } from './request.js';

const GRANT_NAME: Record<OAuthGrant, string> = {
  'token-exchange': 'token exchange (RFC 8693)',
  'jwt-bearer': 'JWT bearer grant (RFC 7523)',
  'client-credentials': 'client credentials with a JWT client assertion (RFC 7523)',
};

/** oauthHint says what usually fixes an RFC 6749 §5.2 error for this grant. */
export function oauthHint(
  err: OAuthFailure | undefined,
  options: OAuthOptions,
  status: number,
): string | undefined {
  switch (err?.error) {
    case 'invalid_grant':
      return `the server rejected the platform token as a grant: check it trusts the token's issuer, expects audience '${options.audience}', and that the token is not expired`;
    case 'invalid_client':
      return options.grant === 'client-credentials'
        ? `the server rejected the platform token as client assertion: check it trusts the token's issuer and subject and expects audience '${options.audience}'`
        : 'client authentication failed: check client-id, client-secret and client-auth (basic or post, as the server expects)';
    case 'unauthorized_client':
      return `this client may not use the ${GRANT_NAME[options.grant]}: enable the grant for the client at the server, or change grant`;
    case 'invalid_target':
      return 'the server will not issue a token for the requested exchange-audience or resource: check them against its policy';
    case 'invalid_scope':
      return 'the server rejected scope: request only scopes the client is allowed';
    case 'invalid_request':
      return options.grant === 'token-exchange'
        ? "a parameter is missing or the subject token was not accepted (RFC 8693 uses invalid_request for both): check the token's issuer, subject and audience against the server's policy, and subject-token-type"
        : 'the server says the request is malformed or missing a parameter: check grant and the server documentation';
    case 'unsupported_grant_type':
      return `the server does not support the ${GRANT_NAME[options.grant]}: set grant to one it supports`;
    case 'access_denied':
      return "the server's policy denies this identity: check the token's claims against the policy";
    case 'temporarily_unavailable':
    case 'server_error':
      return 'the server had a problem; try again later';
  }
  if (status === 401)
    return 'the server requires client authentication: set client-id, client-secret and client-auth';
  if (status === 404 || status === 405) return 'check token-url: it should be the token endpoint itself';
  return undefined;
}

/** parseOAuthFailure maps a failed answer to an ExchangeError with the server's code and a hint. */
export function parseOAuthFailure(res: HttpResponse, options: OAuthOptions): ExchangeError {
  return oauthFailureError(res, 'oauth', oauthWhat(options), (err) => oauthHint(err, options, res.status));
}

/**
 * parseOAuthSuccess turns a 2xx token answer into Credentials; `log` gets protocol-tolerance notes and
 * `secret` is told about secrets that are not exported (a refresh token nobody asked for).
 */
export function parseOAuthSuccess(
  res: HttpResponse,
  options: OAuthOptions,
  now: number,
  log: Logger,
  secret: (value: string) => void = () => {},
): Credentials {
  const token = parseTokenResponse(res, 'oauth', oauthWhat(options), now);
  const notes: string[] = [];
  if (options.grant === 'token-exchange' && token.issuedTokenType === undefined)
    log.debug(
      `${oauthWhat(options)} answered without issued_token_type (required by RFC 8693 §2.2.1); assuming the requested type`,
    );
  if (
    options.requestedTokenType &&
    token.issuedTokenType &&
    token.issuedTokenType !== options.requestedTokenType
  )
    notes.push(
      `the server issued a ${token.issuedTokenType} instead of the requested ${options.requestedTokenType}`,
    );
  const issuedType = token.issuedTokenType ?? options.requestedTokenType;
  const values: CredentialValue[] = [
    {
      name: 'accessToken',
      value: token.accessToken,
      secret: true,
      env: options.envName,
      output: options.output,
    },
  ];
  if (token.expiresAt)
    values.push({
      name: 'expiration',
      value: isoTimestamp(token.expiresAt),
      secret: false,
      output: 'oauth-expiration',
    });
  if (issuedType)
    values.push({
      name: 'issuedTokenType',
      value: issuedType,
      secret: false,
      output: 'oauth-issued-token-type',
    });
  if (token.scope !== undefined && token.scope !== options.scopes.join(' ') && options.scopes.length > 0)
    notes.push(`the server granted scope '${token.scope}'`);
  if (token.refreshToken !== undefined) {
    secret(token.refreshToken);
    if (options.exportRefreshToken)
      values.push({
        name: 'refreshToken',
        value: token.refreshToken,
        secret: true,
        output: 'oauth-refresh-token',
      });
    else notes.push('the server also issued a refresh token; it was not exported (set export-refresh-token)');
  }
  return {
    target: 'oauth',
    principal: options.clientId ?? options.tokenUrl.host,
    expiresAt: token.expiresAt,
    values,
    files: [],
    revoke: [],
    notes,
  };
}
