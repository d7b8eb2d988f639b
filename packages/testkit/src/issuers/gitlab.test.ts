import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJwt } from '../verify.js';
import { type GitLabIssuer, startGitLabIssuer } from './gitlab.js';

describe('startGitLabIssuer', () => {
  let gl: GitLabIssuer;
  beforeAll(async () => {
    gl = await startGitLabIssuer({
      claims: {
        project_path: 'g/sub/p',
        environment: 'production',
        deployment_tier: 'production',
        environment_protected: 'true',
      },
    });
  });
  afterAll(() => gl.close());

  it('serves keys at /oauth/discovery/keys through discovery', async () => {
    expect(gl.jwksUri).toBe(`${gl.url}/oauth/discovery/keys`);
    const doc = (await (await fetch(`${gl.issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    expect(doc.jwks_uri).toBe(gl.jwksUri);
  });

  it('jobEnv mints one token per id_tokens entry with its aud', async () => {
    const env = await gl.jobEnv({
      idTokens: { AWS_TOKEN: 'sts.amazonaws.com', VAULT_TOKEN: ['https://vault', 'x'] },
    });
    expect(env).toMatchObject({
      GITLAB_CI: 'true',
      CI_SERVER_URL: gl.issuer,
      CI_PROJECT_PATH: 'g/sub/p',
      CI_PROJECT_NAMESPACE: 'g/sub',
      CI_JOB_ID: gl.claims.job_id,
      CI_PIPELINE_ID: gl.claims.pipeline_id,
      CI_COMMIT_SHA: gl.claims.sha,
      CI_COMMIT_REF_NAME: 'main',
      CI_COMMIT_BRANCH: 'main',
      CI_ENVIRONMENT_NAME: 'production',
    });
    expect(env).not.toHaveProperty('CI_JOB_JWT_V2');
    expect(env).not.toHaveProperty('CI_JOB_JWT');

    const aws = await verifyJwt(env['AWS_TOKEN'] ?? '', {
      trusted: [{ issuer: gl.issuer }],
      audience: 'sts.amazonaws.com',
    });
    expect(aws.ok).toBe(true);
    if (!aws.ok) return;
    expect(aws.claims).toMatchObject({
      sub: 'project_path:g/sub/p:ref_type:branch:ref:main',
      aud: 'sts.amazonaws.com',
      namespace_path: 'g/sub',
      project_path: 'g/sub/p',
      ref_path: 'refs/heads/main',
      ref_protected: 'true',
      environment: 'production',
      environment_protected: 'true',
      deployment_tier: 'production',
      runner_environment: 'gitlab-hosted',
      project_visibility: 'private',
    });
    expect(typeof aws.claims['runner_id']).toBe('number');
    expect(typeof aws.claims['project_id']).toBe('string');
    expect(aws.claims['ci_config_ref_uri']).toBe(
      `${new URL(gl.issuer).host}/g/sub/p//.gitlab-ci.yml@refs/heads/main`,
    );
    expect((aws.claims.nbf ?? 0) < (aws.claims.iat ?? 0)).toBe(true);

    const vault = await verifyJwt(env['VAULT_TOKEN'] ?? '', {
      trusted: [{ issuer: gl.issuer }],
      audience: 'x',
    });
    expect(vault.ok && vault.claims.aud).toEqual(['https://vault', 'x']);
  });

  it('builds sub from configured components and tags', async () => {
    const tagged = await startGitLabIssuer({
      claims: { ref: 'v1.2.0', ref_type: 'tag' },
      subClaimComponents: ['project_path', 'ref_type', 'ref', 'ref_protected'],
    });
    try {
      const env = await tagged.jobEnv({ idTokens: { T: 'a' } });
      expect(env['CI_COMMIT_TAG']).toBe('v1.2.0');
      const result = await verifyJwt(env['T'] ?? '', { trusted: [{ issuer: tagged.issuer }] });
      expect(result.ok && result.claims).toMatchObject({
        sub: 'project_path:my-group/my-project:ref_type:tag:ref:v1.2.0:ref_protected:true',
        ref_path: 'refs/tags/v1.2.0',
      });
    } finally {
      await tagged.close();
    }
  });
});
