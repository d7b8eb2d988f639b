import { describe, expect, it } from 'vitest';
import { decodeIdentity, detectTokenPlatform } from './identity.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: object) => `${b64({ alg: 'RS256', kid: 'k' })}.${b64(claims)}.c2ln`;

describe('decodeIdentity', () => {
  it('normalizes GitHub claims', () => {
    const id = decodeIdentity(
      jwt({
        iss: 'https://token.actions.githubusercontent.com',
        sub: 'repo:acme/app:ref:refs/heads/main',
        aud: 'sts.amazonaws.com',
        exp: 2_000_000_000,
        repository: 'acme/app',
        ref: 'refs/heads/main',
        sha: 'abc',
        run_id: '42',
        run_attempt: '1',
        actor: 'octo',
        job_workflow_ref: 'x',
      }),
    );
    expect(id).toMatchObject({
      platform: 'github',
      repository: 'acme/app',
      ref: 'refs/heads/main',
      runId: '42',
      actor: 'octo',
      audience: ['sts.amazonaws.com'],
    });
    expect(id.expiresAt?.getTime()).toBe(2_000_000_000_000);
  });

  it('normalizes GitLab claims', () => {
    const id = decodeIdentity(
      jwt({
        iss: 'https://gitlab.com',
        sub: 'project_path:g/p:ref_type:branch:ref:main',
        aud: ['a', 'b'],
        project_path: 'g/p',
        namespace_id: '1',
        pipeline_id: '7',
        job_id: '9',
        user_login: 'u',
        ref: 'main',
      }),
    );
    expect(id).toMatchObject({
      platform: 'gitlab',
      repository: 'g/p',
      runId: '7',
      jobId: '9',
      actor: 'u',
      audience: ['a', 'b'],
    });
  });

  it('detects CircleCI and Google', () => {
    expect(
      detectTokenPlatform({ iss: 'https://oidc.circleci.com/org/x', 'oidc.circleci.com/project-id': 'p' }),
    ).toBe('circleci');
    expect(detectTokenPlatform({ iss: 'https://accounts.google.com' })).toBe('cloudbuild');
    expect(detectTokenPlatform({ iss: 'https://example.com' })).toBe('unknown');
  });

  it('rejects a malformed token without echoing it', () => {
    try {
      decodeIdentity('not-a-jwt-secret-value');
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('ERR_TOKEN_MALFORMED');
      expect(String((e as Error).message)).not.toContain('secret-value');
    }
  });
});
