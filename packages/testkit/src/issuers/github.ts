import { randomBytes, randomUUID } from 'node:crypto';
import { sendJson } from '../http-server.js';
import { type Issuer, type IssuerOptions, startIssuer } from './issuer.js';

/** GitHubClaims is the custom claim set of a GitHub Actions OIDC token (all values are strings). */
export interface GitHubClaims {
  /** sub is derived from the other claims unless given. */
  sub?: string;
  repository: string;
  repository_id: string;
  repository_owner: string;
  repository_owner_id: string;
  repository_visibility: 'public' | 'private' | 'internal';
  ref: string;
  ref_type: 'branch' | 'tag';
  ref_protected: 'true' | 'false';
  sha: string;
  workflow: string;
  workflow_ref: string;
  workflow_sha: string;
  job_workflow_ref: string;
  job_workflow_sha: string;
  run_id: string;
  run_number: string;
  run_attempt: string;
  actor: string;
  actor_id: string;
  event_name: string;
  /** environment is present only when the job names one. */
  environment?: string;
  runner_environment: 'github-hosted' | 'self-hosted';
  head_ref: string;
  base_ref: string;
  /** enterprise and enterprise_id are present only for repositories owned by an enterprise. */
  enterprise?: string;
  enterprise_id?: string;
}

/** GitHubIssuerOptions configures startGitHubIssuer. */
export interface GitHubIssuerOptions extends IssuerOptions {
  claims?: Partial<GitHubClaims>;
  /** requestToken is the ACTIONS_ID_TOKEN_REQUEST_TOKEN value; random by default. */
  requestToken?: string;
  /**
   * denyIdToken emulates a job without `permissions: id-token: write`: env() leaves out the
   * ACTIONS_ID_TOKEN_REQUEST_* variables (what the real runner does) and the endpoint answers 403.
   */
  denyIdToken?: boolean;
  /** subClaimKeys customises `sub` like the repository OIDC sub-claim template (`repo`, `context`, claims). */
  subClaimKeys?: string[];
}

/** GitHubIssuer is an Issuer plus the Actions runner's token endpoint. */
export interface GitHubIssuer extends Issuer {
  /** requestUrl is the ACTIONS_ID_TOKEN_REQUEST_URL value; it already carries `?api-version=2.0`. */
  requestUrl: string;
  requestToken: string;
  claims: GitHubClaims;
  /** env is what a job step sees (RUNNER_TEMP and file-command paths are left to the caller). */
  env(): Record<string, string>;
  /** mintFor mints the token the endpoint would return for `audience`. */
  mintFor(audience?: string, overrides?: Record<string, unknown>): Promise<string>;
}

/** GITHUB_CLAIMS_SUPPORTED mirrors claims_supported in GitHub's discovery document. */
export const GITHUB_CLAIMS_SUPPORTED = [
  'sub',
  'aud',
  'exp',
  'iat',
  'iss',
  'jti',
  'nbf',
  'ref',
  'sha',
  'repository',
  'repository_id',
  'repository_owner',
  'repository_owner_id',
  'enterprise',
  'enterprise_id',
  'run_id',
  'run_number',
  'run_attempt',
  'actor',
  'actor_id',
  'workflow',
  'workflow_ref',
  'workflow_sha',
  'head_ref',
  'base_ref',
  'event_name',
  'ref_type',
  'ref_protected',
  'environment',
  'environment_node_id',
  'job_workflow_ref',
  'job_workflow_sha',
  'repository_visibility',
  'runner_environment',
  'issuer_scope',
];

function defaultClaims(partial: Partial<GitHubClaims>): GitHubClaims {
  const repository = partial.repository ?? 'octo-org/octo-repo';
  const owner = partial.repository_owner ?? repository.split('/')[0] ?? 'octo-org';
  const ref = partial.ref ?? 'refs/heads/main';
  const sha = partial.sha ?? randomBytes(20).toString('hex');
  const workflowRef = partial.workflow_ref ?? `${repository}/.github/workflows/deploy.yml@${ref}`;
  return {
    repository,
    repository_id: '74',
    repository_owner: owner,
    repository_owner_id: '65',
    repository_visibility: 'private',
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ref_protected: 'false',
    sha,
    workflow: 'deploy',
    workflow_ref: workflowRef,
    workflow_sha: partial.workflow_sha ?? sha,
    job_workflow_ref: partial.job_workflow_ref ?? workflowRef,
    job_workflow_sha: partial.job_workflow_sha ?? partial.workflow_sha ?? sha,
    run_id: '1658821493',
    run_number: '42',
    run_attempt: '1',
    actor: 'octocat',
    actor_id: '583231',
    event_name: 'push',
    runner_environment: 'github-hosted',
    head_ref: '',
    base_ref: '',
    ...partial,
  };
}

// GitHub's default subject: environment wins, then pull_request events, then the ref.
// https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims
function contextPart(c: Partial<GitHubClaims>): string {
  if (c.environment) return `environment:${c.environment}`;
  if (c.event_name === 'pull_request' || c.event_name === 'pull_request_target') return 'pull_request';
  return `ref:${c.ref ?? ''}`;
}

/** githubSubject builds `sub` from claims, optionally with a custom sub-claim key list. */
export function githubSubject(c: Partial<GitHubClaims> & Record<string, unknown>, keys?: string[]): string {
  if (!keys || keys.length === 0) return `repo:${c.repository ?? ''}:${contextPart(c)}`;
  return keys
    .map((k) => {
      if (k === 'repo') return `repo:${c.repository ?? ''}`;
      if (k === 'context') return contextPart(c);
      return `${k}:${String(c[k] ?? '')}`;
    })
    .join(':');
}

/** startGitHubIssuer emulates token.actions.githubusercontent.com plus the runner's ID-token endpoint. */
export async function startGitHubIssuer(opts: GitHubIssuerOptions = {}): Promise<GitHubIssuer> {
  const requestToken = opts.requestToken ?? randomBytes(24).toString('base64url');
  const claims = defaultClaims(opts.claims ?? {});
  const planPath = `/_apis/distributedtask/hubs/Actions/plans/${randomUUID()}/jobs/${randomUUID()}/idtoken`;
  let gh: GitHubIssuer | undefined;

  const base = await startIssuer({
    ...opts,
    discovery: { claims_supported: GITHUB_CLAIMS_SUPPORTED, ...opts.discovery },
    routes: async (req, res, issuer) => {
      if (opts.routes && (await opts.routes(req, res, issuer))) return true;
      if (req.path !== planPath) return false;
      if (req.method !== 'GET') {
        sendJson(res, 405, { message: 'Method not allowed' });
        return true;
      }
      const auth = req.header('authorization') ?? '';
      if (auth !== `Bearer ${requestToken}`) {
        sendJson(res, 401, { message: 'Unauthorized' });
        return true;
      }
      if (opts.denyIdToken) {
        sendJson(res, 403, {
          message: 'Resource not accessible by integration: the job lacks permissions id-token: write',
        });
        return true;
      }
      const audience = req.query.get('audience');
      const token = await gh!.mintFor(audience === null || audience === '' ? undefined : audience);
      sendJson(res, 200, { count: 1, value: token });
      return true;
    },
  });

  const issuer: GitHubIssuer = Object.assign(base, {
    requestUrl: `${base.url}${planPath}?api-version=2.0`,
    requestToken,
    claims,
    env() {
      const c = issuer.claims;
      const env: Record<string, string> = {
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_API_URL: 'https://api.github.com',
        GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
        GITHUB_REPOSITORY: c.repository,
        GITHUB_REPOSITORY_ID: c.repository_id,
        GITHUB_REPOSITORY_OWNER: c.repository_owner,
        GITHUB_REPOSITORY_OWNER_ID: c.repository_owner_id,
        GITHUB_SHA: c.sha,
        GITHUB_REF: c.ref,
        GITHUB_REF_NAME: c.ref.replace(/^refs\/(heads|tags)\//, ''),
        GITHUB_REF_TYPE: c.ref_type,
        GITHUB_REF_PROTECTED: c.ref_protected,
        GITHUB_HEAD_REF: c.head_ref,
        GITHUB_BASE_REF: c.base_ref,
        GITHUB_EVENT_NAME: c.event_name,
        GITHUB_RUN_ID: c.run_id,
        GITHUB_RUN_NUMBER: c.run_number,
        GITHUB_RUN_ATTEMPT: c.run_attempt,
        GITHUB_WORKFLOW: c.workflow,
        GITHUB_WORKFLOW_REF: c.workflow_ref,
        GITHUB_WORKFLOW_SHA: c.workflow_sha,
        GITHUB_ACTOR: c.actor,
        GITHUB_ACTOR_ID: c.actor_id,
        GITHUB_TRIGGERING_ACTOR: c.actor,
        GITHUB_JOB: 'deploy',
        RUNNER_ENVIRONMENT: c.runner_environment,
        RUNNER_OS: 'Linux',
        RUNNER_ARCH: 'X64',
      };
      if (!opts.denyIdToken) {
        env['ACTIONS_ID_TOKEN_REQUEST_URL'] = issuer.requestUrl;
        env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'] = requestToken;
      }
      return env;
    },
    mintFor(audience?: string, overrides: Record<string, unknown> = {}) {
      const merged: Record<string, unknown> = { ...issuer.claims, ...overrides };
      if (!Object.hasOwn(overrides, 'sub') && issuer.claims.sub === undefined) {
        merged['sub'] = githubSubject(merged, opts.subClaimKeys);
      }
      if (!Object.hasOwn(overrides, 'aud')) {
        // GitHub's default audience is the owner's URL (actions/toolkit sends no audience parameter).
        merged['aud'] = audience ?? `https://github.com/${issuer.claims.repository_owner}`;
      }
      return base.mint(merged);
    },
  });
  gh = issuer;
  return issuer;
}
