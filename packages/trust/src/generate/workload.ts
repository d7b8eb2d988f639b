import {
  awsTestableClaims,
  celAccessor,
  CIRCLECI_ISSUER_PREFIX,
  GITHUB_ISSUER,
  GOOGLE_ISSUER,
} from '../claims.js';
import { TrustError } from '../errors.js';
import { hasWildcard } from '../glob.js';
import type {
  CircleciScope,
  CloudbuildScope,
  GenerateRequest,
  GithubScope,
  GitlabScope,
  Pin,
  Workload,
} from './types.js';

function invalid(field: string, why: string): never {
  throw new TrustError('ERR_TRUST_INVALID_SCOPE', `scope.${field} ${why}`);
}

function check(field: string, value: string | undefined, re: RegExp, shape: string): void {
  if (value !== undefined && !re.test(value)) invalid(field, `must be ${shape}`);
}

const DIGITS = /^[0-9]{1,20}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function pin(claim: string, value: string | undefined): Pin[] {
  return value === undefined ? [] : [{ claim, value, exact: !hasWildcard(value) }];
}

function github(scope: GithubScope): Workload {
  check('repository', scope.repository, /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/repo');
  check('repositoryId', scope.repositoryId, DIGITS, 'a numeric id');
  const refs = [scope.branch, scope.tag, scope.ref].filter((r) => r !== undefined);
  if (refs.length > 1) invalid('branch', 'conflicts with tag/ref: give one of branch, tag, ref');
  const ref =
    scope.branch !== undefined
      ? `refs/heads/${scope.branch}`
      : scope.tag !== undefined
        ? `refs/tags/${scope.tag}`
        : scope.ref;
  if (ref !== undefined && !ref.startsWith('refs/')) invalid('ref', 'must start with refs/');
  const warnings: string[] = [];
  const base = `repo:${scope.repository}`;
  let subject: string;
  const pins: Pin[] = [...pin('repository_id', scope.repositoryId)];
  if (scope.environment !== undefined) {
    // Jobs with an environment get an environment-shaped sub; the ref is a separate claim.
    subject = `${base}:environment:${scope.environment}`;
    pins.push(...pin('ref', ref));
  } else if (ref !== undefined) {
    subject = `${base}:ref:${ref}`;
  } else {
    subject = `${base}:*`;
    warnings.push(
      `wildcard sub ${subject}: every branch, tag and environment of ${scope.repository} is trusted; give branch, tag or environment`,
    );
  }
  pins.push(...pin('job_workflow_ref', scope.jobWorkflowRef));
  const excludes = !scope.allowPullRequests && hasWildcard(subject) ? [`${base}:pull_request`] : [];
  if (scope.allowPullRequests) {
    warnings.push(
      'pull requests are allowed: pull_request runs (including from forks, if workflows run for them) can assume this identity',
    );
  }
  if (!scope.repositoryId) {
    warnings.push(
      `no repositoryId: a deleted and re-created ${scope.repository} would match; pin repository_id where possible`,
    );
  }
  return {
    platform: 'github',
    issuer: GITHUB_ISSUER,
    subject: { value: subject, exact: !hasWildcard(subject) },
    subjectExcludes: excludes,
    pins,
    awsClaims: awsTestableClaims(GITHUB_ISSUER, 'github'),
    gcpSubject: 'assertion.sub',
    vaultUserClaim: 'sub',
    claimMappings: {
      repository: 'repository',
      ref: 'ref',
      job_workflow_ref: 'job_workflow_ref',
      actor: 'actor',
    },
    warnings,
  };
}

function gitlab(scope: GitlabScope): Workload {
  const host = (scope.host ?? 'gitlab.com').replace(/^https:\/\//, '').replace(/\/+$/, '');
  check('host', host, /^[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~-]+)*$/, 'a host name with an optional path');
  check('projectPath', scope.projectPath, /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/, 'group/project');
  check('projectId', scope.projectId, DIGITS, 'a numeric id');
  check('namespaceId', scope.namespaceId, DIGITS, 'a numeric id');
  const issuer = `https://${host}`;
  const warnings: string[] = [];
  const refType = scope.refType ?? 'branch';
  const subject = `project_path:${scope.projectPath}:ref_type:${refType}:ref:${scope.ref ?? '*'}`;
  if (scope.ref === undefined) {
    warnings.push(
      `wildcard sub ${subject}: every ${refType} of ${scope.projectPath} is trusted, including merge request source branches; give ref`,
    );
  }
  warnings.push(
    'merge requests from forks: since GitLab 18.2.2 project_* claims describe the source (fork) project; keep project_id pinned and do not run MR pipelines from forks in the parent project with this identity',
  );
  const pins: Pin[] = [
    ...pin('project_id', scope.projectId),
    ...pin('namespace_id', scope.namespaceId),
    ...(scope.protectedOnly ? pin('ref_protected', 'true') : []),
    ...pin('environment', scope.environment),
  ];
  const awsClaims = awsTestableClaims(issuer, 'gitlab');
  if (host !== 'gitlab.com') {
    warnings.push(
      `self-managed GitLab (${host}): AWS exposes only sub and aud as condition keys; project_id, namespace_id, ref_protected and environment cannot be enforced in an AWS trust policy`,
    );
  }
  if (!scope.projectId)
    warnings.push(`no projectId: a renamed or re-created ${scope.projectPath} would match; pin project_id`);
  if (scope.environment !== undefined && !awsClaims.includes('environment')) {
    warnings.push(
      'environment is not in the default GitLab sub and AWS cannot test it; add it to ci_id_token_sub_claim_components if AWS must enforce it',
    );
  }
  return {
    platform: 'gitlab',
    issuer,
    subject: { value: subject, exact: !hasWildcard(subject) },
    subjectExcludes: [],
    pins,
    awsClaims,
    gcpSubject: 'assertion.sub',
    vaultUserClaim: 'sub',
    claimMappings: {
      project_path: 'project_path',
      ref: 'ref',
      pipeline_source: 'pipeline_source',
      user_login: 'user_login',
    },
    warnings,
  };
}

function circleci(scope: CircleciScope): Workload {
  check('orgId', scope.orgId, UUID, 'a UUID');
  check('projectId', scope.projectId, UUID, 'a UUID');
  check('userId', scope.userId, UUID, 'a UUID');
  const issuer = `${CIRCLECI_ISSUER_PREFIX}${scope.orgId}`;
  const warnings: string[] = [];
  const subject = `org/${scope.orgId}/project/${scope.projectId}/user/${scope.userId ?? '*'}/vcs-origin/${scope.vcsOrigin ?? '*'}/vcs-ref/${scope.vcsRef ?? '*'}`;
  if (scope.vcsOrigin === undefined) {
    warnings.push(
      'no vcsOrigin: builds of forked pull requests (when "Pass secrets to builds from forked pull requests" is on) get tokens; pin vcs-origin',
    );
  }
  if (scope.vcsRef === undefined) warnings.push('no vcsRef: every branch and tag of the project is trusted');
  if (hasWildcard(subject)) {
    warnings.push(
      `wildcard sub ${subject}: matched with StringLike/glob; the v2 sub (CIRCLE_OIDC_TOKEN_V2) is required`,
    );
  }
  warnings.push(
    'CircleCI tokens from $CIRCLE_OIDC_TOKEN carry aud=<org id>; mint with `circleci run oidc get --claims` for another audience',
  );
  return {
    platform: 'circleci',
    issuer,
    subject: { value: subject, exact: !hasWildcard(subject) },
    subjectExcludes: [],
    pins: [
      ...pin('oidc.circleci.com/project-id', scope.projectId),
      ...pin('oidc.circleci.com/vcs-origin', scope.vcsOrigin),
      ...pin('oidc.circleci.com/vcs-ref', scope.vcsRef),
    ],
    awsClaims: awsTestableClaims(issuer, 'circleci'),
    // The v2 sub is longer than GCP's 127-byte google.subject limit, so the project id names the principal.
    gcpSubject: celAccessor('oidc.circleci.com/project-id'),
    vaultUserClaim: 'oidc.circleci.com/project-id',
    claimMappings: { 'oidc.circleci.com/vcs-origin': 'vcs_origin', 'oidc.circleci.com/vcs-ref': 'vcs_ref' },
    warnings,
  };
}

function cloudbuild(scope: CloudbuildScope): Workload {
  check(
    'serviceAccountEmail',
    scope.serviceAccountEmail,
    /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+$/,
    'a service account email',
  );
  check('serviceAccountUniqueId', scope.serviceAccountUniqueId, DIGITS, 'the numeric unique id');
  const warnings: string[] = [];
  if (
    /@cloudbuild\.gserviceaccount\.com$|-compute@developer\.gserviceaccount\.com$/.test(
      scope.serviceAccountEmail,
    )
  ) {
    warnings.push(
      `${scope.serviceAccountEmail} is a default service account: Cloud Build cannot mint ID tokens for it, and every build in the project shares it; use a dedicated user-specified service account`,
    );
  }
  if (!scope.serviceAccountUniqueId) {
    warnings.push(
      `no serviceAccountUniqueId: sub cannot be pinned, only email (present only with format=full); get it with gcloud iam service-accounts describe ${scope.serviceAccountEmail} --format='value(uniqueId)'`,
    );
  }
  return {
    platform: 'cloudbuild',
    issuer: GOOGLE_ISSUER,
    subject: {
      value: scope.serviceAccountUniqueId ?? '*',
      exact: scope.serviceAccountUniqueId !== undefined,
    },
    subjectExcludes: [],
    pins: [
      ...pin('email', scope.serviceAccountEmail),
      ...(scope.serviceAccountUniqueId ? pin('azp', scope.serviceAccountUniqueId) : []),
    ],
    awsClaims: ['email'],
    gcpSubject: 'assertion.sub',
    vaultUserClaim: scope.serviceAccountUniqueId ? 'sub' : 'email',
    claimMappings: { email: 'email' },
    warnings,
  };
}

/** workloadFor derives the platform-neutral workload (issuer, sub, pinned claims, traps) from a request. */
export function workloadFor(req: GenerateRequest): Workload {
  switch (req.platform) {
    case 'github':
      return github(req.scope);
    case 'gitlab':
      return gitlab(req.scope);
    case 'circleci':
      return circleci(req.scope);
    case 'cloudbuild':
      return cloudbuild(req.scope);
  }
}
