/**
 * request.ts: the token request for each grant, pure. Parameter names and placement follow RFC 8693
 * §2.1, RFC 7523 §2.1/§2.2 and RFC 6749 §2.3.1 (client authentication, one method per request).
 */
import type { HttpRequest } from '@federate/core';
import {
  basicAuthorization,
  CLIENT_ASSERTION_TYPE_JWT,
  GRANT_CLIENT_CREDENTIALS,
  GRANT_JWT_BEARER,
  GRANT_TOKEN_EXCHANGE,
} from '../shared/oauth.js';
import type { OAuthOptions } from './options.js';

/** oauthWhat names the server in messages: its host, never the full URL (queries can hold secrets). */
export function oauthWhat(options: OAuthOptions): string {
  return `the OAuth token endpoint at ${options.tokenUrl.host}`;
}

/** buildOAuthTokenRequest builds the request; `token` is the platform token (a secret). */
export function buildOAuthTokenRequest(options: OAuthOptions, token: string): HttpRequest {
  const body = new URLSearchParams();
  switch (options.grant) {
    case 'token-exchange':
      body.append('grant_type', GRANT_TOKEN_EXCHANGE);
      for (const r of options.resources) body.append('resource', r);
      for (const a of options.exchangeAudiences) body.append('audience', a);
      if (options.scopes.length > 0) body.append('scope', options.scopes.join(' '));
      if (options.requestedTokenType) body.append('requested_token_type', options.requestedTokenType);
      body.append('subject_token', token);
      body.append('subject_token_type', options.subjectTokenType);
      break;
    case 'jwt-bearer':
      body.append('grant_type', GRANT_JWT_BEARER);
      body.append('assertion', token);
      if (options.scopes.length > 0) body.append('scope', options.scopes.join(' '));
      for (const r of options.resources) body.append('resource', r);
      break;
    case 'client-credentials':
      body.append('grant_type', GRANT_CLIENT_CREDENTIALS);
      if (options.scopes.length > 0) body.append('scope', options.scopes.join(' '));
      for (const r of options.resources) body.append('resource', r);
      body.append('client_assertion_type', CLIENT_ASSERTION_TYPE_JWT);
      body.append('client_assertion', token);
      break;
  }
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (
    options.clientAuth === 'basic' &&
    options.clientId !== undefined &&
    options.clientSecret !== undefined
  ) {
    headers['authorization'] = basicAuthorization(options.clientId, options.clientSecret);
  } else if (options.clientAuth === 'post' && options.clientId !== undefined) {
    body.append('client_id', options.clientId);
    if (options.clientSecret !== undefined) body.append('client_secret', options.clientSecret);
  } else if (options.clientId !== undefined) {
    // RFC 6749 §3.2.1: a public client identifies itself; RFC 7521 §4.2 makes it optional with an assertion.
    body.append('client_id', options.clientId);
  }
  return { what: oauthWhat(options), url: options.tokenUrl, method: 'POST', headers, body };
}
