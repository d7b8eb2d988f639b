import { describe, expect, it } from 'vitest';
import { inspectToken } from './inspect.js';
import { unsignedJwt } from './test-support.js';

const NOW = 1_900_000_000_000;
const t = NOW / 1000;

describe('inspectToken', () => {
  it('explains a GitHub token and spells its AWS, GCP and Vault keys', () => {
    const jwt = unsignedJwt({
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:acme/app:ref:refs/heads/main',
      aud: 'sts.amazonaws.com',
      repository_id: '42',
      event_name: 'push',
      iat: t - 5,
      exp: t + 295,
    });
    const i = inspectToken(jwt, { now: () => NOW });
    expect(i.platform).toBe('github');
    expect(i.header).toEqual({ alg: 'RS256', kid: 'k1', typ: 'JWT' });
    expect(i.audience).toEqual(['sts.amazonaws.com']);
    expect(i.lifetimeRemainingSec).toBe(295);
    expect(i.conditionKeys.aws.principal).toBe(
      'arn:aws:iam::<account-id>:oidc-provider/token.actions.githubusercontent.com',
    );
    const keys = Object.fromEntries(i.conditionKeys.aws.keys.map((k) => [k.key, k.testable]));
    expect(keys['token.actions.githubusercontent.com:sub']).toBe(true);
    expect(keys['token.actions.githubusercontent.com:repository_id']).toBe(true);
    expect(keys['token.actions.githubusercontent.com:event_name']).toBe(false);
    expect(i.conditionKeys.gcp.attributes.find((a) => a.claim === 'repository_id')!.mapping).toBe(
      'attribute.repository_id=assertion.repository_id',
    );
    expect(JSON.stringify(i)).not.toContain(jwt.split('.')[1]);
  });

  it.each([
    [
      {
        iss: 'https://gitlab.com',
        project_path: 'g/p',
        namespace_id: '1',
        pipeline_source: 'push',
        sub: 's',
      },
      'gitlab',
      'gitlab.com:sub',
    ],
    [
      {
        iss: 'https://gitlab.example.com/gl',
        project_path: 'g/p',
        namespace_id: '1',
        pipeline_source: 'push',
        sub: 's',
      },
      'gitlab',
      'gitlab.example.com/gl:sub',
    ],
    [
      {
        iss: 'https://oidc.circleci.com/org/0f1e',
        sub: 'org/x',
        aud: '0f1e',
        'oidc.circleci.com/project-id': 'p',
      },
      'circleci',
      'oidc.circleci.com/org/0f1e:sub',
    ],
    [
      { iss: 'https://accounts.google.com', sub: '123', aud: 'x', azp: '123', email: 'a@b' },
      'google',
      'accounts.google.com:oaud',
    ],
    [{ iss: 'https://issuer.example', sub: 's' }, 'unknown', 'issuer.example:sub'],
  ])('detects %o', (claims, platform, key) => {
    const i = inspectToken(unsignedJwt(claims), { now: () => NOW });
    expect(i.platform).toBe(platform);
    expect(i.conditionKeys.aws.keys.map((k) => k.key)).toContain(key);
  });

  it('spells nested claims as Vault JSON pointers and odd names with brackets', () => {
    const i = inspectToken(
      unsignedJwt({
        iss: 'https://gitlab.com',
        job_config: { url: 'u', 'a/b': 's' },
        'oidc.circleci.com/vcs-ref': 'r',
      }),
      { now: () => NOW },
    );
    expect(i.conditionKeys.vault.map((v) => v.boundClaimsKey)).toEqual(
      expect.arrayContaining(['/job_config/url', '/job_config/a~1b', 'oidc.circleci.com/vcs-ref']),
    );
    expect(
      i.conditionKeys.gcp.attributes.find((a) => a.claim === 'oidc.circleci.com/vcs-ref')!.expression,
    ).toBe("assertion['oidc.circleci.com/vcs-ref']");
  });

  it('rejects a malformed token with a code and without echoing it', () => {
    const bad = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXZhbHVl.sig';
    try {
      inspectToken(bad, { now: () => NOW });
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('ERR_TRUST_JWT_MALFORMED');
      expect(String((e as Error).message)).not.toContain('c2VjcmV0LXZhbHVl');
      // Nor its decoded bytes, anywhere in the error chain (JSON.parse quotes what it read).
      expect(String((e as Error).cause)).not.toContain('secret-val');
      expect(String((e as Error).message)).not.toContain('secret-val');
    }
  });
});
