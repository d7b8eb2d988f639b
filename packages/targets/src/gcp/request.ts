/**
 * request.ts: pure builders for the three GCP calls: the STS token exchange (RFC 8693 form, as
 * google-auth-library sends it) and IAM Credentials generateAccessToken / generateIdToken (JSON with
 * the federated token as bearer). Nothing here performs I/O.
 */
import type { GcpOptions } from './options.js';

/** GRANT_TYPE_TOKEN_EXCHANGE is RFC 8693's grant type. */
export const GRANT_TYPE_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** TOKEN_TYPE_ACCESS_TOKEN is what we ask STS for. */
export const TOKEN_TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
/** TOKEN_TYPE_JWT is the subject token type for CI OIDC tokens. */
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';
/** SCOPE_CLOUD_PLATFORM is the scope generateAccessToken requires of the caller's token. */
export const SCOPE_CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** BuiltRequest is everything the HTTP helper needs; `body` holds the subject token, so it is never logged. */
export interface BuiltRequest {
  readonly url: string;
  readonly method: 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** stsAudience is the STS `audience`: `//iam.<universe>/<provider>` (google-github-actions/auth computes the same). */
export function stsAudience(options: Pick<GcpOptions, 'provider' | 'universe'>): string {
  return `//iam.${options.universe}/${options.provider.name}`;
}

/**
 * tokenAudience is the default `aud` for the platform token. A provider without allowed audiences
 * accepts its full resource name with or without `https:`; google-github-actions/auth asks for the
 * https form, so tokens minted for it work here too.
 */
export function tokenAudience(options: Pick<GcpOptions, 'provider'>): string {
  return `https://iam.googleapis.com/${options.provider.name}`;
}

/** stsTokenUrl is the STS token endpoint. */
export function stsTokenUrl(options: Pick<GcpOptions, 'stsEndpoint'>): string {
  return `${options.stsEndpoint}/v1/token`;
}

/** serviceAccountResource is the IAM Credentials resource name for an email or a `projects/-/…` name. */
export function serviceAccountResource(account: string): string {
  return account.startsWith('projects/') ? account : `projects/-/serviceAccounts/${account}`;
}

/** iamCredentialsUrl is `<endpoint>/v1/projects/-/serviceAccounts/<sa>:<method>` (the email is validated, so not encoded: google-auth-library parses it back out of this URL). */
export function iamCredentialsUrl(
  options: Pick<GcpOptions, 'iamCredentialsEndpoint'>,
  serviceAccount: string,
  method: 'generateAccessToken' | 'generateIdToken',
): string {
  return `${options.iamCredentialsEndpoint}/v1/${serviceAccountResource(serviceAccount)}:${method}`;
}

/**
 * stsScopes are the scopes for the federated token. When impersonating, the federated token only has
 * to call generateAccessToken, which needs cloud-platform (or iam); google-auth-library does the same.
 */
export function stsScopes(options: Pick<GcpOptions, 'serviceAccount' | 'scopes'>): readonly string[] {
  return options.serviceAccount === undefined ? options.scopes : [SCOPE_CLOUD_PLATFORM];
}

/** buildStsRequest builds `POST <sts>/v1/token` with the form body google-auth-library sends. */
export function buildStsRequest(
  options: Pick<GcpOptions, 'provider' | 'universe' | 'stsEndpoint' | 'serviceAccount' | 'scopes'>,
  subjectToken: string,
): BuiltRequest {
  const form = new URLSearchParams({
    grant_type: GRANT_TYPE_TOKEN_EXCHANGE,
    audience: stsAudience(options),
    scope: stsScopes(options).join(' '),
    requested_token_type: TOKEN_TYPE_ACCESS_TOKEN,
    subject_token: subjectToken,
    subject_token_type: TOKEN_TYPE_JWT,
  });
  return {
    url: stsTokenUrl(options),
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      accept: 'application/json',
    },
    body: form.toString(),
  };
}

function jsonRequest(url: string, bearer: string, body: Record<string, unknown>): BuiltRequest {
  return {
    url,
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json',
    },
    body: JSON.stringify(body),
  };
}

/** buildGenerateAccessTokenRequest builds `:generateAccessToken` ({scope, lifetime: "<n>s", delegates?}). */
export function buildGenerateAccessTokenRequest(
  options: Pick<GcpOptions, 'iamCredentialsEndpoint' | 'scopes' | 'lifetimeMs' | 'delegates'>,
  serviceAccount: string,
  federatedToken: string,
): BuiltRequest {
  return jsonRequest(iamCredentialsUrl(options, serviceAccount, 'generateAccessToken'), federatedToken, {
    ...(options.delegates.length > 0 ? { delegates: options.delegates.map(serviceAccountResource) } : {}),
    // The field is `scope`, singular, although it is a list.
    scope: options.scopes,
    lifetime: `${Math.round(options.lifetimeMs / 1000)}s`,
  });
}

/** buildGenerateIdTokenRequest builds `:generateIdToken` ({audience, includeEmail, delegates?}). */
export function buildGenerateIdTokenRequest(
  options: Pick<GcpOptions, 'iamCredentialsEndpoint' | 'delegates' | 'idTokenIncludeEmail'>,
  serviceAccount: string,
  audience: string,
  federatedToken: string,
): BuiltRequest {
  return jsonRequest(iamCredentialsUrl(options, serviceAccount, 'generateIdToken'), federatedToken, {
    ...(options.delegates.length > 0 ? { delegates: options.delegates.map(serviceAccountResource) } : {}),
    audience,
    includeEmail: options.idTokenIncludeEmail,
  });
}
