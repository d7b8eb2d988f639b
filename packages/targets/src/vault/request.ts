/**
 * request.ts: pure builders for the Vault HTTP API calls the target makes: JWT login, secret reads
 * (KV v1 and v2) and token self-revocation. The namespace travels as X-Vault-Namespace on each.
 */
import { type HttpRequest, type HttpResponse, joinUrl } from '@federate/core';
import type { KvVersion } from './options.js';

/** VaultEndpoint is where and in which namespace requests go. */
export interface VaultEndpoint {
  readonly url: URL;
  readonly namespace: string | undefined;
}

function baseHeaders(ep: VaultEndpoint): Record<string, string> {
  // X-Vault-Request marks API calls as the official clients do (it also defeats some CSRF proxies).
  return {
    accept: 'application/json',
    'x-vault-request': 'true',
    ...(ep.namespace ? { 'x-vault-namespace': ep.namespace } : {}),
  };
}

/**
 * retryableVault marks 412, which a Vault performance standby answers while it has not yet caught up
 * with a write it is asked about (hashicorp/vault-action#332); 429 and 5xx are retried by the core.
 */
export function retryableVault(res: HttpResponse): boolean {
  return res.status === 412;
}

/** loginRequest is `POST /v1/auth/<mount>/login` with `{role, jwt}`. */
export function loginRequest(ep: VaultEndpoint, mount: string, role: string, jwt: string): HttpRequest {
  return {
    what: `Vault JWT login (auth/${mount})`,
    url: joinUrl(ep.url, 'v1', 'auth', mount, 'login'),
    method: 'POST',
    headers: { ...baseHeaders(ep), 'content-type': 'application/json' },
    body: JSON.stringify({ role, jwt }),
    retryable: retryableVault,
  };
}

/** SecretPath is a mapping's path resolved to the API path and the KV version that decides its shape. */
export interface SecretPath {
  /** apiPath is what follows `/v1/`, e.g. `secret/data/ci/aws`. */
  readonly apiPath: string;
  readonly version: 1 | 2;
}

/**
 * resolveSecretPath applies `kv-version`: `auto` reads a path with a `data` segment after the mount as
 * KV v2 (vault-action's rule); `2` inserts `data/` after the mount when the user left it out.
 */
export function resolveSecretPath(path: string, kvVersion: KvVersion): SecretPath {
  const segments = path.split('/').filter((s) => s.length > 0);
  const hasData = segments.slice(1).includes('data');
  if (kvVersion === '1') return { apiPath: segments.join('/'), version: 1 };
  if (kvVersion === 'auto') return { apiPath: segments.join('/'), version: hasData ? 2 : 1 };
  if (hasData) return { apiPath: segments.join('/'), version: 2 };
  return { apiPath: [segments[0] ?? '', 'data', ...segments.slice(1)].join('/'), version: 2 };
}

/** readRequest is `GET /v1/<apiPath>` with the client token. */
export function readRequest(ep: VaultEndpoint, token: string, apiPath: string): HttpRequest {
  return {
    what: `Vault read of ${apiPath}`,
    url: joinUrl(ep.url, 'v1', apiPath),
    method: 'GET',
    headers: { ...baseHeaders(ep), 'x-vault-token': token },
    retryable: retryableVault,
  };
}

/** revokeSelfRequest is `POST /v1/auth/token/revoke-self` (needs no policy beyond the token itself). */
export function revokeSelfRequest(ep: VaultEndpoint, token: string): HttpRequest {
  return {
    what: 'Vault token revoke-self',
    url: joinUrl(ep.url, 'v1', 'auth', 'token', 'revoke-self'),
    method: 'POST',
    headers: { ...baseHeaders(ep), 'x-vault-token': token },
    retryable: retryableVault,
  };
}
