/**
 * identity.ts: decode a platform JWT (without verifying: the server verifies) and normalize the
 * claims each CI spells differently into one Identity.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { FederateError } from './errors.js';
import type { Identity, PlatformName } from './model.js';

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/**
 * detectTokenPlatform guesses which CI minted a token from its issuer first and its claim shape
 * second. trust's detectPlatform (doctor) applies the same rules; a test keeps the two in step.
 */
export function detectTokenPlatform(claims: Record<string, unknown>): PlatformName | 'unknown' {
  const iss = str(claims['iss']) ?? '';
  // github.com's issuer (with an enterprise slug, optionally), or GitHub Enterprise Server's.
  if (
    iss === 'https://token.actions.githubusercontent.com' ||
    iss.startsWith('https://token.actions.githubusercontent.com/') ||
    /\/_services\/token$/.test(iss)
  )
    return 'github';
  if (iss.startsWith('https://oidc.circleci.com/org/')) return 'circleci';
  if (iss === 'https://accounts.google.com' || iss === 'accounts.google.com') return 'cloudbuild';
  if ('project_path' in claims && 'namespace_id' in claims) return 'gitlab';
  if (Object.keys(claims).some((k) => k.startsWith('oidc.circleci.com/'))) return 'circleci';
  if ('repository' in claims && 'job_workflow_ref' in claims) return 'github';
  return 'unknown';
}

/** decodeIdentity decodes a JWT into an Identity; a malformed token is ERR_TOKEN_MALFORMED. */
export function decodeIdentity(token: string, platformHint?: PlatformName): Identity {
  let claims: Record<string, unknown>;
  try {
    decodeProtectedHeader(token);
    claims = decodeJwt(token) as Record<string, unknown>;
  } catch (cause) {
    // jose's messages do not echo the token, but keep ours generic anyway.
    throw new FederateError('ERR_TOKEN_MALFORMED', 'the platform token is not a well-formed JWT', {
      cause: cause instanceof Error ? new Error(cause.message) : undefined,
      hint: 'check that the token variable holds a JWT (three base64url parts separated by dots), without quotes or a trailing newline',
    });
  }
  const detected = detectTokenPlatform(claims);
  const platform =
    platformHint && platformHint !== 'file'
      ? platformHint
      : detected === 'unknown' && platformHint
        ? platformHint
        : detected;
  const aud = claims['aud'];
  const audience = Array.isArray(aud) ? aud.map(String) : typeof aud === 'string' ? [aud] : [];
  const date = (v: unknown) => (typeof v === 'number' ? new Date(v * 1000) : undefined);
  const pick = (...names: string[]) => {
    for (const n of names) {
      const v = str(claims[n]);
      if (v !== undefined && v !== '') return v;
    }
    return undefined;
  };
  const kind = platform === 'file' ? detected : platform;
  return {
    token,
    platform,
    issuer: str(claims['iss']) ?? '',
    subject: str(claims['sub']) ?? '',
    audience,
    issuedAt: date(claims['iat']),
    expiresAt: date(claims['exp']),
    repository:
      kind === 'github'
        ? pick('repository')
        : kind === 'gitlab'
          ? pick('project_path')
          : kind === 'circleci'
            ? pick('oidc.circleci.com/project-id')
            : pick('repository', 'project_path'),
    ref: kind === 'circleci' ? pick('oidc.circleci.com/vcs-ref') : pick('ref'),
    sha: pick('sha'),
    runId:
      kind === 'gitlab'
        ? pick('pipeline_id')
        : kind === 'github'
          ? pick('run_id')
          : pick('run_id', 'pipeline_id'),
    jobId: kind === 'gitlab' ? pick('job_id') : kind === 'github' ? pick('run_attempt') : pick('job_id'),
    actor: kind === 'gitlab' ? pick('user_login') : kind === 'cloudbuild' ? pick('email') : pick('actor'),
    environment: pick('environment'),
    claims,
  };
}

/** jwtExpiry reads `exp` from a token that may be a JWT, without verifying it; undefined otherwise. */
export function jwtExpiry(token: string): Date | undefined {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** identityClaims is the secret-free claim digest shown in summaries and failure reports. */
export function identityClaims(identity: Identity, extra: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {
    iss: identity.issuer,
    sub: identity.subject,
    aud: identity.audience.join(' '),
  };
  const add = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') out[k] = v;
  };
  add('repository', identity.repository);
  add('ref', identity.ref);
  add('environment', identity.environment);
  for (const k of extra) {
    const v = identity.claims[k];
    if (v !== undefined && !(k in out)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}
