/** Platform is a CI platform (or Google itself) recognised from a token's issuer and claim shape. */
export type Platform = 'github' | 'gitlab' | 'circleci' | 'google' | 'unknown';

/** Claims is a decoded JWT claim set. */
export type Claims = Record<string, unknown>;

/** Clock returns the current time in epoch milliseconds (inject `Date.now` at the edge). */
export type Clock = () => number;

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GOOGLE_ISSUER = 'https://accounts.google.com';
export const CIRCLECI_ISSUER_PREFIX = 'https://oidc.circleci.com/org/';

/**
 * PERSONAL_CLAIMS name or identify a person rather than a workload. Doctor shows their condition-key
 * spelling but their values only when asked (`--show-claims`); every other claim a trust policy can
 * test is shown with its value, since that is what answers "why was I denied".
 */
export const PERSONAL_CLAIMS: readonly string[] = ['actor', 'actor_id', 'user_email', 'user_login', 'email'];

/** audienceList normalises `aud` (string, array or absent) to a list of strings. */
export function audienceList(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

/**
 * detectPlatform names the CI platform that minted a token, from `iss` first and claim shape second:
 * the rules of core's detectTokenPlatform (a test keeps the two in step; Google is `cloudbuild` there).
 */
export function detectPlatform(claims: Claims): Platform {
  const iss = typeof claims['iss'] === 'string' ? claims['iss'] : '';
  if (iss === GITHUB_ISSUER || iss.startsWith(`${GITHUB_ISSUER}/`) || /\/_services\/token$/.test(iss))
    return 'github';
  if (iss.startsWith(CIRCLECI_ISSUER_PREFIX)) return 'circleci';
  if (iss === GOOGLE_ISSUER || iss === 'accounts.google.com') return 'google';
  if ('project_path' in claims && 'namespace_id' in claims) return 'gitlab';
  if (Object.keys(claims).some((k) => k.startsWith('oidc.circleci.com/'))) return 'circleci';
  if ('repository' in claims && 'job_workflow_ref' in claims) return 'github';
  return 'unknown';
}

/**
 * awsProviderKey is how AWS IAM names an OIDC provider in condition keys and provider ARNs: the issuer
 * without its scheme and trailing slash (`token.actions.githubusercontent.com`, `oidc.circleci.com/org/<id>`).
 */
export function awsProviderKey(iss: string): string {
  // IAM names providers by host and path; issuers are https, except loopback emulators in tests.
  return iss.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
}

/** awsProviderArn is the Principal.Federated value a role trusts for this issuer. */
export function awsProviderArn(iss: string, accountId: string, partition = 'aws'): string {
  const key = awsProviderKey(iss);
  // Google is built into IAM: roles trust the bare name, there is no provider resource.
  if (key === 'accounts.google.com') return key;
  return `arn:${partition}:iam::${accountId}:oidc-provider/${key}`;
}

const GITHUB_AWS_CLAIMS = [
  'aud',
  'sub',
  'actor',
  'actor_id',
  'job_workflow_ref',
  'repository',
  'repository_id',
  'workflow',
  'ref',
  'environment',
  'enterprise_id',
];
const GITLAB_COM_AWS_CLAIMS = [
  'aud',
  'sub',
  'namespace_id',
  'project_id',
  'user_id',
  'user_login',
  'user_email',
  'ref_protected',
  'pipeline_source',
];

/**
 * awsTestableClaims lists the claims AWS STS exposes as `<provider>:<claim>` condition keys for an
 * issuer. Sources: IAM "Available keys for AWS OIDC federation"; AWS STS provider-specific claims
 * (GitHub, Google, CircleCI, OCI; Feb 2026); GitLab's AWS docs (gitlab.com only; self-managed: sub/aud).
 * For Google, `aud` tests the token's `azp` and `oaud` its `aud`.
 */
export function awsTestableClaims(iss: string, platform: Platform): string[] {
  const key = awsProviderKey(iss);
  if (platform === 'github' && key === awsProviderKey(GITHUB_ISSUER)) return GITHUB_AWS_CLAIMS;
  if (platform === 'gitlab' && key === 'gitlab.com') return GITLAB_COM_AWS_CLAIMS;
  if (platform === 'google' || key === 'accounts.google.com') return ['aud', 'oaud', 'sub', 'email'];
  return ['aud', 'sub'];
}

/** awsClaimValue maps an AWS condition-key suffix to the token value AWS compares it with. */
export function awsClaimValue(claims: Claims, suffix: string, iss: string): unknown {
  if (awsProviderKey(iss) === 'accounts.google.com') {
    if (suffix === 'aud') return claims['azp'] ?? claims['aud'];
    if (suffix === 'oaud') return claims['aud'];
  }
  return claims[suffix];
}

/** celAccessor spells a claim for a CEL expression over `assertion`. */
export function celAccessor(claim: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(claim)
    ? `assertion.${claim}`
    : `assertion['${claim.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/** gcpAttributeName derives a legal GCP custom attribute name (`[a-z0-9_]`, ≤ 100 chars) from a claim. */
export function gcpAttributeName(claim: string): string {
  const base = claim
    .replace(/^oidc\.circleci\.com\//, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  return base.slice(0, 100) || 'claim';
}

/** jsonPointer escapes path segments into an RFC 6901 pointer, as Vault bound_claims use for nesting. */
export function jsonPointer(segments: string[]): string {
  return segments.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
