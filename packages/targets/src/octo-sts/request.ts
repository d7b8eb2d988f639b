/**
 * request.ts: pure builders for the octo-sts exchange (grpc-gateway's GET binding of
 * SecurityTokenService/Exchange) and for revoking the GitHub installation token it returns.
 */
import { type HttpRequest, joinUrl } from '@federate/core';

/** GITHUB_API_VERSION pins the REST API version, as GitHub recommends. */
export const GITHUB_API_VERSION = '2022-11-28';

/** exchangeRequest is `GET /sts/exchange?scope=…&identity=…` with the platform token as bearer. */
export function exchangeRequest(base: URL, scope: string, identity: string, jwt: string): HttpRequest {
  const url = joinUrl(base, 'sts', 'exchange');
  url.searchParams.set('scope', scope);
  url.searchParams.set('identity', identity);
  return {
    what: 'octo-sts exchange',
    url,
    method: 'GET',
    headers: { accept: 'application/json', authorization: `Bearer ${jwt}` },
  };
}

/** revokeRequest is `DELETE /installation/token` authenticated with the token itself. */
export function revokeRequest(githubApiUrl: URL, token: string): HttpRequest {
  return {
    what: 'GitHub installation token revocation',
    url: joinUrl(githubApiUrl, 'installation', 'token'),
    method: 'DELETE',
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'x-github-api-version': GITHUB_API_VERSION,
    },
  };
}
