/**
 * oauth: any OAuth 2.0 authorization server that accepts a third-party JWT, through RFC 8693 token
 * exchange, the RFC 7523 JWT bearer grant, or client credentials with the JWT as client assertion.
 */
import type { Target } from '@federate/core';
import { type OAuthOptions, parseOAuthOptions } from './options.js';
import { buildOAuthTokenRequest } from './request.js';
import { parseOAuthFailure, parseOAuthSuccess } from './response.js';

export type { OAuthClientAuth, OAuthGrant, OAuthOptions } from './options.js';

/** oauthTarget exchanges a CI token at a generic OAuth token endpoint. */
export const oauthTarget: Target<OAuthOptions> = {
  name: 'oauth',
  title: 'OAuth token endpoint',
  parse: parseOAuthOptions,
  audience: (o) => o.audience,
  relevantClaims: ['iss', 'sub', 'aud'],
  describe: (o) =>
    `${o.grant} at ${o.tokenUrl.host}${o.tokenUrl.pathname}${o.clientId ? ` as client ${o.clientId} (${o.clientAuth})` : ''}${o.exchangeAudiences.length ? `, audience ${o.exchangeAudiences.join(' ')}` : ''}${o.resources.length ? `, resource ${o.resources.join(' ')}` : ''}${o.scopes.length ? `, scope ${o.scopes.join(' ')}` : ''}`,
  async exchange(ctx, options) {
    // Registered before any request so a server echoing it in an error is redacted too.
    if (options.clientSecret) ctx.secrets.add(options.clientSecret);
    const token = await ctx.token();
    const res = await ctx.http.request(buildOAuthTokenRequest(options, token));
    // A server echoing the client secret in error_description is redacted by the run (core orchestrate).
    if (res.status < 200 || res.status >= 300) throw parseOAuthFailure(res, options);
    return parseOAuthSuccess(res, options, ctx.now(), ctx.log, (s) => ctx.secrets.add(s));
  },
};
