/**
 * request.ts: pure builders for PingOne Privilege. The documented call (seed 002) is a GET of
 * `/pubapi/<tenant>/v1/workloadtokens/<namespace>/<workload>` "with an Authorization header with the
 * API key as the Bearer token"; nothing else is documented, so nothing else is sent unless the user
 * names a header for the platform token.
 */
import { type HttpRequest, joinUrl } from '@federate/core';
import type { PingOneOptions } from './options.js';

/** workloadTokenUrl is the documented endpoint under the configured base URL. */
export function workloadTokenUrl(
  o: Pick<PingOneOptions, 'baseUrl' | 'tenant' | 'namespace' | 'workload'>,
): URL {
  return joinUrl(o.baseUrl, 'pubapi', o.tenant, 'v1', 'workloadtokens', o.namespace, o.workload);
}

/** workloadTokenRequest is the GET with the API key as bearer (and the platform token only if asked). */
export function workloadTokenRequest(options: PingOneOptions, platformToken?: string): HttpRequest {
  const headers: Record<string, string> = {
    accept: 'application/json, application/jwt, text/plain',
    authorization: `Bearer ${options.apiKey}`,
  };
  if (options.sendPlatformToken === 'header' && options.platformTokenHeader && platformToken)
    headers[options.platformTokenHeader.toLowerCase()] = platformToken;
  return { what: 'PingOne Privilege workload token', url: workloadTokenUrl(options), method: 'GET', headers };
}

/** jwksRequest fetches the signing keys used to verify the token when `jwks-url` is set. */
export function jwksRequest(url: URL): HttpRequest {
  return {
    what: 'PingOne Privilege signing keys',
    url,
    method: 'GET',
    headers: { accept: 'application/json' },
  };
}
