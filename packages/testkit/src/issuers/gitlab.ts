import { randomBytes } from 'node:crypto';
import { type Issuer, type IssuerOptions, startIssuer } from './issuer.js';

/** GitLabUserIdentity is one external identity linked to the GitLab user. */
export interface GitLabUserIdentity {
  provider: string;
  extern_uid: string;
}

/**
 * GitLabClaims is the custom claim set of a GitLab `id_tokens` JWT
 * (gitlabhq doc/ci/secrets/id_token_authentication.md). IDs are strings except `runner_id`.
 */
export interface GitLabClaims {
  sub?: string;
  namespace_id: string;
  namespace_path: string;
  project_id: string;
  project_path: string;
  user_id: string;
  user_login: string;
  user_email: string;
  user_access_level?: string;
  user_identities?: GitLabUserIdentity[];
  pipeline_id: string;
  pipeline_source: string;
  job_id: string;
  ref: string;
  ref_type: 'branch' | 'tag';
  ref_path: string;
  ref_protected: 'true' | 'false';
  /** environment, environment_protected, deployment_tier and environment_action appear only with an environment. */
  environment?: string;
  environment_protected?: 'true' | 'false';
  deployment_tier?: string;
  environment_action?: string;
  runner_id: number;
  runner_environment: 'gitlab-hosted' | 'self-hosted';
  sha: string;
  ci_config_ref_uri: string | null;
  ci_config_sha: string | null;
  project_visibility: 'public' | 'internal' | 'private';
}

/** GitLabIssuerOptions configures startGitLabIssuer. */
export interface GitLabIssuerOptions extends IssuerOptions {
  claims?: Partial<GitLabClaims>;
  /** subClaimComponents mirrors the project setting ci_id_token_sub_claim_components. */
  subClaimComponents?: string[];
  /** serverUrl is CI_SERVER_URL; defaults to the issuer (GitLab's iss is the instance URL). */
  serverUrl?: string;
}

/** GitLabJobEnvOptions lists the job's `id_tokens:` entries: variable name to `aud`. */
export interface GitLabJobEnvOptions {
  idTokens?: Record<string, string | string[]>;
  jobName?: string;
}

/** GitLabIssuer is an Issuer that mints GitLab-shaped ID tokens and job environments. */
export interface GitLabIssuer extends Issuer {
  claims: GitLabClaims;
  serverUrl: string;
  mintFor(aud: string | string[], overrides?: Record<string, unknown>): Promise<string>;
  /** jobEnv is a job's predefined CI_* variables plus one minted token per id_tokens entry. */
  jobEnv(opts?: GitLabJobEnvOptions): Promise<Record<string, string>>;
}

const DEFAULT_SUB_COMPONENTS = ['project_path', 'ref_type', 'ref'];

/** gitlabSubject builds `sub`: `project_path:g/p:ref_type:branch:ref:main` by default. */
export function gitlabSubject(claims: Record<string, unknown>, components = DEFAULT_SUB_COMPONENTS): string {
  return components.map((c) => `${c}:${String(claims[c] ?? '')}`).join(':');
}

function defaultClaims(partial: Partial<GitLabClaims>, serverHost: string): GitLabClaims {
  const projectPath = partial.project_path ?? 'my-group/my-project';
  const namespacePath = partial.namespace_path ?? projectPath.split('/').slice(0, -1).join('/');
  const refType = partial.ref_type ?? 'branch';
  const ref = partial.ref ?? 'main';
  const refPath = partial.ref_path ?? `refs/${refType === 'tag' ? 'tags' : 'heads'}/${ref}`;
  const sha = partial.sha ?? randomBytes(20).toString('hex');
  return {
    namespace_id: '72',
    namespace_path: namespacePath,
    project_id: '20',
    project_path: projectPath,
    user_id: '1',
    user_login: 'sample-user',
    user_email: 'sample-user@example.com',
    pipeline_id: '574',
    pipeline_source: 'push',
    job_id: '302',
    ref,
    ref_type: refType,
    ref_path: refPath,
    ref_protected: 'true',
    runner_id: 1,
    runner_environment: 'gitlab-hosted',
    sha,
    ci_config_ref_uri: `${serverHost}/${projectPath}//.gitlab-ci.yml@${refPath}`,
    ci_config_sha: sha,
    project_visibility: 'private',
    ...partial,
  };
}

/** startGitLabIssuer emulates a GitLab instance's ID-token issuer (discovery, `/oauth/discovery/keys`). */
export async function startGitLabIssuer(opts: GitLabIssuerOptions = {}): Promise<GitLabIssuer> {
  const base = await startIssuer({
    jwksPath: '/oauth/discovery/keys',
    // GitLab backdates nbf a few seconds before iat.
    nbfBackdateSec: 5,
    ...opts,
  });
  const serverUrl = opts.serverUrl ?? base.issuer;
  const server = new URL(serverUrl);
  const claims = defaultClaims(opts.claims ?? {}, server.host);

  const issuer: GitLabIssuer = Object.assign(base, {
    claims,
    serverUrl,
    mintFor(aud: string | string[], overrides: Record<string, unknown> = {}) {
      const merged: Record<string, unknown> = { ...issuer.claims, ...overrides };
      if (!Object.hasOwn(overrides, 'sub') && issuer.claims.sub === undefined) {
        merged['sub'] = gitlabSubject(merged, opts.subClaimComponents);
      }
      if (!Object.hasOwn(overrides, 'aud'))
        merged['aud'] = Array.isArray(aud) && aud.length === 1 ? aud[0] : aud;
      return base.mint(merged);
    },
    async jobEnv(envOpts: GitLabJobEnvOptions = {}) {
      const c = issuer.claims;
      const projectName = c.project_path.split('/').at(-1) ?? c.project_path;
      const env: Record<string, string> = {
        CI: 'true',
        GITLAB_CI: 'true',
        CI_SERVER: 'yes',
        CI_SERVER_URL: serverUrl.replace(/\/+$/, ''),
        CI_SERVER_HOST: server.hostname,
        CI_SERVER_FQDN: server.host,
        CI_SERVER_PORT: server.port || (server.protocol === 'https:' ? '443' : '80'),
        CI_SERVER_PROTOCOL: server.protocol.replace(':', ''),
        CI_PROJECT_ID: c.project_id,
        CI_PROJECT_PATH: c.project_path,
        CI_PROJECT_NAME: projectName,
        CI_PROJECT_NAMESPACE: c.namespace_path,
        CI_PROJECT_NAMESPACE_ID: c.namespace_id,
        CI_PROJECT_VISIBILITY: c.project_visibility,
        CI_PROJECT_URL: `${serverUrl.replace(/\/+$/, '')}/${c.project_path}`,
        CI_PIPELINE_ID: c.pipeline_id,
        CI_PIPELINE_SOURCE: c.pipeline_source,
        CI_JOB_ID: c.job_id,
        CI_JOB_NAME: envOpts.jobName ?? 'deploy',
        CI_COMMIT_SHA: c.sha,
        CI_COMMIT_SHORT_SHA: c.sha.slice(0, 8),
        CI_COMMIT_REF_NAME: c.ref,
        CI_COMMIT_REF_PROTECTED: c.ref_protected,
        CI_RUNNER_ID: String(c.runner_id),
        GITLAB_USER_ID: c.user_id,
        GITLAB_USER_LOGIN: c.user_login,
        GITLAB_USER_EMAIL: c.user_email,
      };
      if (c.ref_type === 'tag') env['CI_COMMIT_TAG'] = c.ref;
      else env['CI_COMMIT_BRANCH'] = c.ref;
      if (c.environment !== undefined) {
        env['CI_ENVIRONMENT_NAME'] = c.environment;
        if (c.deployment_tier !== undefined) env['CI_ENVIRONMENT_TIER'] = c.deployment_tier;
      }
      // CI_JOB_JWT* were removed in GitLab 17.0; only id_tokens variables carry tokens.
      for (const [name, aud] of Object.entries(envOpts.idTokens ?? {})) {
        env[name] = await issuer.mintFor(aud);
      }
      return env;
    },
  });
  return issuer;
}
