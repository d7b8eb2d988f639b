import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJwt } from '../verify.js';
import { type GitHubIssuer, githubSubject, startGitHubIssuer } from './github.js';

// Builds the request exactly as @actions/core getIDToken does: `${URL}&audience=${encodeURIComponent(aud)}`.
async function getIdToken(env: Record<string, string>, audience?: string, token?: string) {
  const base = env['ACTIONS_ID_TOKEN_REQUEST_URL'] ?? '';
  const url = audience ? `${base}&audience=${encodeURIComponent(audience)}` : base;
  const headers: Record<string, string> = { 'user-agent': 'actions/oidc-client' };
  const bearer = token ?? env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  if (bearer !== undefined) headers['authorization'] = `Bearer ${bearer}`;
  return fetch(url, { headers });
}

describe('startGitHubIssuer', () => {
  let gh: GitHubIssuer;
  beforeAll(async () => {
    gh = await startGitHubIssuer({ claims: { repository: 'acme/api', environment: 'prod' } });
  });
  afterAll(() => gh.close());

  it('exposes the runner environment', () => {
    const env = gh.env();
    expect(env['ACTIONS_ID_TOKEN_REQUEST_URL']).toBe(gh.requestUrl);
    expect(gh.requestUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_apis\/.+\?api-version=2\.0$/);
    expect(env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']).toBe(gh.requestToken);
    expect(env).toMatchObject({
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/api',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: gh.claims.sha,
      GITHUB_RUN_ID: gh.claims.run_id,
      GITHUB_WORKFLOW_REF: 'acme/api/.github/workflows/deploy.yml@refs/heads/main',
      GITHUB_SERVER_URL: 'https://github.com',
    });
    expect(env).not.toHaveProperty('RUNNER_TEMP');
  });

  it('returns {value} with the requested audience and GitHub claims', async () => {
    const res = await getIdToken(gh.env(), 'sts.amazonaws.com');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { value: string };
    const result = await verifyJwt(body.value, {
      trusted: [{ issuer: gh.issuer }],
      audience: 'sts.amazonaws.com',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.claims).toMatchObject({
      sub: 'repo:acme/api:environment:prod',
      repository: 'acme/api',
      repository_owner: 'acme',
      ref: 'refs/heads/main',
      ref_type: 'branch',
      ref_protected: 'false',
      environment: 'prod',
      runner_environment: 'github-hosted',
      event_name: 'push',
      job_workflow_ref: 'acme/api/.github/workflows/deploy.yml@refs/heads/main',
    });
    for (const claim of [
      'repository_id',
      'repository_owner_id',
      'run_id',
      'run_attempt',
      'actor_id',
      'sha',
    ]) {
      expect(typeof result.claims[claim]).toBe('string');
    }
    expect(result.claims).not.toHaveProperty('enterprise');
    const req = gh.server.requests.filter((r) => r.path.endsWith('/idtoken')).at(-1);
    expect(req?.query.get('api-version')).toBe('2.0');
    expect(req?.query.get('audience')).toBe('sts.amazonaws.com');
  });

  it('defaults aud to the owner URL when no audience is sent', async () => {
    const body = (await (await getIdToken(gh.env())).json()) as { value: string };
    const result = await verifyJwt(body.value, {
      trusted: [{ issuer: gh.issuer }],
      audience: 'https://github.com/acme',
    });
    expect(result.ok).toBe(true);
  });

  it('requires the bearer request token', async () => {
    const res = await fetch(gh.requestUrl);
    expect(res.status).toBe(401);
    expect((await getIdToken(gh.env(), 'x', 'wrong')).status).toBe(401);
  });

  it('emulates a job without id-token: write', async () => {
    const denied = await startGitHubIssuer({ denyIdToken: true });
    try {
      const env = denied.env();
      expect(env).not.toHaveProperty('ACTIONS_ID_TOKEN_REQUEST_URL');
      expect(env).not.toHaveProperty('ACTIONS_ID_TOKEN_REQUEST_TOKEN');
      const res = await fetch(`${denied.requestUrl}&audience=x`, {
        headers: { authorization: `Bearer ${denied.requestToken}` },
      });
      expect(res.status).toBe(403);
    } finally {
      await denied.close();
    }
  });

  it.each([
    [{ repository: 'o/r', ref: 'refs/heads/main', event_name: 'push' }, 'repo:o/r:ref:refs/heads/main'],
    [{ repository: 'o/r', ref: 'refs/tags/v1', event_name: 'push' }, 'repo:o/r:ref:refs/tags/v1'],
    [{ repository: 'o/r', ref: 'refs/pull/1/merge', event_name: 'pull_request' }, 'repo:o/r:pull_request'],
    [{ repository: 'o/r', event_name: 'pull_request', environment: 'e' }, 'repo:o/r:environment:e'],
  ])('sub for %o is %s', (claims, sub) => {
    expect(githubSubject(claims)).toBe(sub);
  });

  it('supports a customised sub template and per-token overrides', async () => {
    expect(
      githubSubject({ repository: 'o/r', ref: 'refs/heads/x', job_workflow_ref: 'o/w@v1' }, [
        'repo',
        'context',
        'job_workflow_ref',
      ]),
    ).toBe('repo:o/r:ref:refs/heads/x:job_workflow_ref:o/w@v1');
    const token = await gh.mintFor('aud', { event_name: 'pull_request', environment: undefined });
    const result = await verifyJwt(token, { trusted: [{ issuer: gh.issuer }] });
    expect(result.ok && result.claims.sub).toBe('repo:acme/api:pull_request');
  });
});
