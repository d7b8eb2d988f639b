/**
 * response.ts: pure parsers for GCP answers. STS speaks RFC 6749 §5.2 errors (`invalid_grant`,
 * `unauthorized_client`, `invalid_target`); IAM Credentials speaks the Google API envelope
 * `{"error":{"code","message","status","details"}}`. Each error keeps the server's code and gets a
 * hint that fixes its usual cause.
 */
import { ExchangeError, type HttpResponse, type Identity, jwtExpiry } from '@federate/core';
import {
  clip,
  codeForStatus,
  expiryFrom,
  oauthError,
  optional,
  parseJsonBody,
  requestIdOf,
  requireString,
} from '../shared/response.js';
import type { GcpOptions, ProviderResource } from './options.js';
import { tokenAudience } from './request.js';

/** TARGET is the target name errors carry. */
export const TARGET = 'gcp';
/** STS_WHAT names the STS call in messages. */
export const STS_WHAT = 'Google Cloud STS token exchange';

/** StsToken is a parsed STS success. */
export interface StsToken {
  readonly accessToken: string;
  readonly expiresAt: Date | undefined;
  readonly issuedTokenType: string | undefined;
}

/** IamAccessToken is a parsed generateAccessToken success. */
export interface IamAccessToken {
  readonly accessToken: string;
  readonly expiresAt: Date;
}

/** IamIdToken is a parsed generateIdToken success. */
export interface IamIdToken {
  readonly token: string;
  readonly expiresAt: Date | undefined;
}

/** principalFor is the IAM principal of a direct-federation identity (`principal://…/subject/<sub>`). */
export function principalFor(
  provider: ProviderResource,
  subject: string,
  universe = 'googleapis.com',
): string {
  return `principal://iam.${universe}/projects/${provider.projectNumber}/locations/global/workloadIdentityPools/${provider.pool}/subject/${subject}`;
}

/** parseStsSuccess reads `{access_token, issued_token_type, token_type, expires_in}` from a 2xx answer. */
export function parseStsSuccess(res: HttpResponse, now: number): StsToken {
  const body = parseJsonBody(res, TARGET, STS_WHAT);
  const accessToken = requireString(body, 'access_token', TARGET, STS_WHAT);
  const tokenType = body['token_type'];
  if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer')
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      TARGET,
      `${STS_WHAT} issued a ${clip(tokenType)} token, not a Bearer access token`,
      { status: res.status, ...optional('requestId', requestIdOf(res)) },
    );
  return {
    accessToken,
    expiresAt: expiryFrom(body['expires_in'], now),
    issuedTokenType: typeof body['issued_token_type'] === 'string' ? body['issued_token_type'] : undefined,
  };
}

/** stsHint maps an STS error to what usually fixes it. */
export function stsHint(
  error: string | undefined,
  description: string | undefined,
  options: Pick<GcpOptions, 'provider'>,
  identity: Pick<Identity, 'audience' | 'issuer' | 'expiresAt'> | undefined,
  now: number,
): string | undefined {
  const d = (description ?? '').toLowerCase();
  switch (error) {
    case 'invalid_target':
      return `check workload-identity-provider (${options.provider.name}): it must use the project NUMBER, name a provider (not only the pool), and the pool and provider must exist and be enabled`;
    case 'unauthorized_client':
      return "the provider's attribute condition rejected this token's claims (listed below); compare the condition with them, e.g. `federate doctor --trust-policy`";
    case 'invalid_grant': {
      if (d.includes('audience')) {
        const aud = identity?.audience.length ? ` (the token has aud ${identity.audience.join(', ')})` : '';
        return `set the \`audience\` input to ${tokenAudience(options)}, which a provider without allowed audiences accepts, or add the token's audience to the provider's allowed audiences${aud}`;
      }
      if (/\bexpired\b|\bstale\b|not yet valid/.test(d))
        return identity?.expiresAt !== undefined && identity.expiresAt.getTime() <= now
          ? 'the platform token expired before the exchange; run the exchange earlier in the job'
          : 'STS considers the platform token expired or not yet valid; check the runner clock';
      if (d.includes('issuer'))
        return `the provider's issuer URI must equal the token's iss${identity?.issuer ? ` (${identity.issuer})` : ''}`;
      return "STS could not validate the platform token: check the provider's issuer URI and, for an uploaded JWKS, that it holds the issuer's current keys";
    }
    case 'invalid_request':
    case 'invalid_scope':
      return 'the request did not match what STS expects; check scopes and workload-identity-provider';
    default:
      return undefined;
  }
}

/** stsError turns a non-2xx STS answer into an ExchangeError. */
export function stsError(
  res: HttpResponse,
  options: Pick<GcpOptions, 'provider'>,
  identity: Pick<Identity, 'audience' | 'issuer' | 'expiresAt'> | undefined,
  now: number,
): ExchangeError {
  return oauthError(res, TARGET, STS_WHAT, (err) =>
    err === undefined
      ? res.status >= 500
        ? 'Google Cloud STS had a server problem; retry later'
        : undefined
      : stsHint(err.error, err.errorDescription, options, identity, now),
  );
}

/** GoogleApiError is the Google API error envelope's inner object. */
export interface GoogleApiError {
  readonly code: number | undefined;
  readonly message: string | undefined;
  readonly status: string | undefined;
  /** reason is the first ErrorInfo detail's reason (`IAM_PERMISSION_DENIED`, `SERVICE_DISABLED`). */
  readonly reason: string | undefined;
}

/** parseGoogleApiError reads `{"error":{"code","message","status","details"}}`, or undefined. */
export function parseGoogleApiError(text: string): GoogleApiError | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const e = (parsed as { error?: unknown } | null)?.error;
  if (e === null || typeof e !== 'object') return undefined;
  const o = e as Record<string, unknown>;
  const details = Array.isArray(o['details']) ? (o['details'] as unknown[]) : [];
  const info = details.find(
    (x): x is Record<string, unknown> =>
      typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>)['reason'] === 'string',
  );
  return {
    code: typeof o['code'] === 'number' ? o['code'] : undefined,
    message: typeof o['message'] === 'string' ? o['message'] : undefined,
    status: typeof o['status'] === 'string' ? o['status'] : undefined,
    reason: info ? (info['reason'] as string) : undefined,
  };
}

/** IamContext is what an IAM error hint needs to name the exact binding. */
export interface IamContext {
  readonly options: Pick<GcpOptions, 'provider' | 'universe' | 'lifetimeMs'>;
  readonly serviceAccount: string;
  readonly method: 'generateAccessToken' | 'generateIdToken';
  readonly identity: Pick<Identity, 'subject' | 'repository' | 'platform'> | undefined;
}

/** iamHint maps an IAM Credentials error to what usually fixes it. */
export function iamHint(
  err: GoogleApiError | undefined,
  status: number,
  ctx: IamContext,
): string | undefined {
  const { provider, universe } = ctx.options;
  const message = (err?.message ?? '').toLowerCase();
  if (err?.reason === 'SERVICE_DISABLED' || message.includes('has not been used'))
    return `enable the IAM Service Account Credentials API (iamcredentials.googleapis.com) in project ${provider.projectNumber}`;
  const s = err?.status ?? (status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'NOT_FOUND' : undefined);
  switch (s) {
    case 'PERMISSION_DENIED': {
      if (
        err?.reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' ||
        message.includes('insufficient authentication scopes')
      )
        return 'the federated token lacks the cloud-platform scope needed to impersonate; do not override scopes for the STS step';
      const pool = `//iam.${universe}/projects/${provider.projectNumber}/locations/global/workloadIdentityPools/${provider.pool}`;
      const who =
        ctx.identity?.platform === 'github' && ctx.identity.repository
          ? `principalSet:${pool}/attribute.repository/${ctx.identity.repository}`
          : ctx.identity?.subject
            ? `principal:${pool}/subject/${ctx.identity.subject}`
            : `principalSet:${pool}/*`;
      return `grant roles/iam.workloadIdentityUser on ${ctx.serviceAccount} to ${who} (gcloud iam service-accounts add-iam-policy-binding ${ctx.serviceAccount} --role=roles/iam.workloadIdentityUser --member=${who}); a principalSet on an attribute needs that attribute in the provider's attribute mapping`;
    }
    case 'NOT_FOUND':
      return `check service-account: ${ctx.serviceAccount} does not exist (or is in another universe); create it or fix the email`;
    case 'UNAUTHENTICATED':
      return 'IAM Credentials did not accept the federated token; check that sts-endpoint and iam-credentials-endpoint belong to the same universe';
    case 'INVALID_ARGUMENT':
      return ctx.options.lifetimeMs > 3_600_000
        ? 'a lifetime above 1h needs the org policy constraints/iam.allowServiceAccountCredentialLifetimeExtension to list this service account'
        : 'check scopes, delegates and id-token-audience';
    case 'FAILED_PRECONDITION':
      return `${ctx.serviceAccount} may be disabled; enable it with gcloud iam service-accounts enable`;
    default:
      return status >= 500 ? 'IAM Credentials had a server problem; retry later' : undefined;
  }
}

/** iamError turns a non-2xx IAM Credentials answer into an ExchangeError. */
export function iamError(res: HttpResponse, ctx: IamContext): ExchangeError {
  const err = parseGoogleApiError(res.text);
  const what = `IAM Credentials ${ctx.method} for ${ctx.serviceAccount}`;
  const detail = err
    ? `${err.status ?? `HTTP ${res.status}`}${err.message ? `: ${clip(err.message)}` : ''}`
    : `HTTP ${res.status}${res.text ? `: ${clip(res.text)}` : ''}`;
  const hint = iamHint(err, res.status, ctx);
  return new ExchangeError(codeForStatus(res.status), TARGET, `${what} failed: ${detail}`, {
    status: res.status,
    ...optional('serverCode', err?.status),
    ...optional('requestId', requestIdOf(res)),
    ...optional('hint', hint),
  });
}

/** parseGenerateAccessToken reads `{accessToken, expireTime}` (RFC 3339). */
export function parseGenerateAccessToken(res: HttpResponse, serviceAccount: string): IamAccessToken {
  const what = `IAM Credentials generateAccessToken for ${serviceAccount}`;
  const body = parseJsonBody(res, TARGET, what);
  const accessToken = requireString(body, 'accessToken', TARGET, what);
  const expireTime = requireString(body, 'expireTime', TARGET, what);
  const at = Date.parse(expireTime);
  if (Number.isNaN(at))
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      TARGET,
      `${what} answered with an unreadable expireTime`,
      {
        status: res.status,
        ...optional('requestId', requestIdOf(res)),
      },
    );
  return { accessToken, expiresAt: new Date(at) };
}

/** parseGenerateIdToken reads `{token}`; the token must be a JWT (gcloud decodes it too). */
export function parseGenerateIdToken(res: HttpResponse, serviceAccount: string): IamIdToken {
  const what = `IAM Credentials generateIdToken for ${serviceAccount}`;
  const body = parseJsonBody(res, TARGET, what);
  const token = requireString(body, 'token', TARGET, what);
  if (token.split('.').length !== 3)
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      TARGET,
      `${what} answered with a token that is not a JWT`,
      {
        status: res.status,
        ...optional('requestId', requestIdOf(res)),
      },
    );
  return { token, expiresAt: jwtExpiry(token) };
}
