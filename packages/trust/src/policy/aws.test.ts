import { describe, expect, it } from 'vitest';
import { TrustError } from '../errors.js';
import { evaluateAwsTrustPolicy } from './aws.js';

const GH = 'token.actions.githubusercontent.com';
const ARN = `arn:aws:iam::123456789012:oidc-provider/${GH}`;
const claims = {
  iss: `https://${GH}`,
  aud: 'sts.amazonaws.com',
  sub: 'repo:acme/app:ref:refs/heads/main',
  repository: 'acme/app',
  repository_id: '42',
  event_name: 'push',
  amr: ['a', 'b'],
};

const stmt = (Condition: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: { Federated: ARN },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition,
  ...extra,
});
const policy = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

describe('evaluateAwsTrustPolicy', () => {
  const cases: Array<[string, unknown, Record<string, unknown>, 'allow' | 'deny' | 'implicit-deny']> = [
    [
      'exact sub',
      policy(
        stmt({
          StringEquals: {
            [`${GH}:sub`]: 'repo:acme/app:ref:refs/heads/main',
            [`${GH}:aud`]: 'sts.amazonaws.com',
          },
        }),
      ),
      claims,
      'allow',
    ],
    [
      'other branch',
      policy(stmt({ StringEquals: { [`${GH}:sub`]: 'repo:acme/app:ref:refs/heads/main' } })),
      { ...claims, sub: 'repo:acme/app:ref:refs/heads/dev' },
      'implicit-deny',
    ],
    [
      'StringEquals is case-sensitive',
      policy(stmt({ StringEquals: { [`${GH}:sub`]: 'repo:ACME/app:ref:refs/heads/main' } })),
      claims,
      'implicit-deny',
    ],
    [
      'StringEqualsIgnoreCase',
      policy(stmt({ StringEqualsIgnoreCase: { [`${GH}:sub`]: 'repo:ACME/app:ref:refs/heads/MAIN' } })),
      claims,
      'allow',
    ],
    [
      'condition key names are case-insensitive',
      policy(stmt({ StringEquals: { [`${GH.toUpperCase()}:SUB`]: claims.sub } })),
      claims,
      'allow',
    ],
    [
      'StringLike * spans slashes',
      policy(stmt({ StringLike: { [`${GH}:sub`]: 'repo:acme/*' } })),
      claims,
      'allow',
    ],
    [
      'StringLike ? is one char',
      policy(stmt({ StringLike: { [`${GH}:sub`]: 'repo:acme/ap?:ref:refs/heads/main' } })),
      claims,
      'allow',
    ],
    [
      'StringLike ? is not zero chars',
      policy(stmt({ StringLike: { [`${GH}:sub`]: 'repo:acme/app?:ref:refs/heads/main' } })),
      claims,
      'implicit-deny',
    ],
    [
      'StringEquals does not glob',
      policy(stmt({ StringEquals: { [`${GH}:sub`]: 'repo:acme/*' } })),
      claims,
      'implicit-deny',
    ],
    [
      'OR within a key',
      policy(stmt({ StringEquals: { [`${GH}:sub`]: ['x', claims.sub] } })),
      claims,
      'allow',
    ],
    [
      'AND across keys',
      policy(stmt({ StringEquals: { [`${GH}:sub`]: claims.sub, [`${GH}:aud`]: 'other' } })),
      claims,
      'implicit-deny',
    ],
    [
      'AND across operators',
      policy(
        stmt({
          StringEquals: { [`${GH}:sub`]: claims.sub },
          StringNotLike: { [`${GH}:sub`]: 'repo:acme/*' },
        }),
      ),
      claims,
      'implicit-deny',
    ],
    [
      'missing key fails StringEquals',
      policy(stmt({ StringEquals: { [`${GH}:environment`]: 'prod' } })),
      claims,
      'implicit-deny',
    ],
    [
      'missing key passes StringEqualsIfExists',
      policy(stmt({ StringEqualsIfExists: { [`${GH}:environment`]: 'prod' } })),
      claims,
      'allow',
    ],
    [
      'present key is tested by IfExists',
      policy(stmt({ StringEqualsIfExists: { [`${GH}:environment`]: 'prod' } })),
      { ...claims, environment: 'dev' },
      'implicit-deny',
    ],
    [
      'missing key passes StringNotEquals',
      policy(stmt({ StringNotEquals: { [`${GH}:environment`]: 'prod' } })),
      claims,
      'allow',
    ],
    [
      'unexposed claim is absent',
      policy(stmt({ StringEquals: { [`${GH}:event_name`]: 'push' } })),
      claims,
      'implicit-deny',
    ],
    ['Null true on absent key', policy(stmt({ Null: { [`${GH}:environment`]: 'true' } })), claims, 'allow'],
    [
      'Null false on present key',
      policy(stmt({ Null: { [`${GH}:repository_id`]: false } })),
      claims,
      'allow',
    ],
    [
      'Null false on absent key',
      policy(stmt({ Null: { [`${GH}:environment`]: 'false' } })),
      claims,
      'implicit-deny',
    ],
    [
      'ForAnyValue on multi-valued aud',
      policy(stmt({ 'ForAnyValue:StringEquals': { [`${GH}:aud`]: 'b' } })),
      { ...claims, aud: ['a', 'b'] },
      'allow',
    ],
    [
      'ForAllValues needs every value',
      policy(stmt({ 'ForAllValues:StringEquals': { [`${GH}:aud`]: ['a'] } })),
      { ...claims, aud: ['a', 'b'] },
      'implicit-deny',
    ],
    [
      'ForAllValues all covered',
      policy(stmt({ 'ForAllValues:StringLike': { [`${GH}:aud`]: ['a', 'b*'] } })),
      { ...claims, aud: ['a', 'bb'] },
      'allow',
    ],
    [
      'ForAllValues passes on absent key',
      policy(stmt({ 'ForAllValues:StringEquals': { [`${GH}:environment`]: 'x' } })),
      claims,
      'allow',
    ],
    [
      'ForAnyValue fails on absent key',
      policy(stmt({ 'ForAnyValue:StringEquals': { [`${GH}:environment`]: 'x' } })),
      claims,
      'implicit-deny',
    ],
    [
      'ForAnyValue:StringNotEquals finds an outsider',
      policy(stmt({ 'ForAnyValue:StringNotEquals': { [`${GH}:aud`]: 'a' } })),
      { ...claims, aud: ['a', 'b'] },
      'allow',
    ],
    [
      'plain StringNotEquals on multi-valued requires none to match',
      policy(stmt({ StringNotEquals: { [`${GH}:aud`]: 'a' } })),
      { ...claims, aud: ['a', 'b'] },
      'implicit-deny',
    ],
    [
      'explicit deny wins',
      policy(
        stmt({ StringLike: { [`${GH}:sub`]: 'repo:acme/*' } }),
        stmt({ StringEquals: { [`${GH}:repository_id`]: '42' } }, { Effect: 'Deny' }),
      ),
      claims,
      'deny',
    ],
    [
      'deny not matching leaves allow',
      policy(
        stmt({ StringLike: { [`${GH}:sub`]: 'repo:acme/*' } }),
        stmt({ StringEquals: { [`${GH}:repository_id`]: '7' } }, { Effect: 'Deny' }),
      ),
      claims,
      'allow',
    ],
    [
      'other provider principal',
      policy({
        ...stmt(undefined),
        Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/gitlab.com' },
      }),
      claims,
      'implicit-deny',
    ],
    [
      'principal array',
      policy({
        ...stmt(undefined),
        Principal: { Federated: ['arn:aws:iam::123456789012:oidc-provider/gitlab.com', ARN] },
      }),
      claims,
      'allow',
    ],
    ['action wildcard sts:*', policy({ ...stmt(undefined), Action: ['sts:*'] }), claims, 'allow'],
    ['wrong action', policy({ ...stmt(undefined), Action: 'sts:AssumeRole' }), claims, 'implicit-deny'],
    [
      'single statement object',
      { Statement: stmt({ StringEquals: { [`${GH}:sub`]: claims.sub } }) },
      claims,
      'allow',
    ],
    [
      'boolean claim compared as text',
      policy(stmt({ StringEquals: { [`${GH}:repository_id`]: '42' } })),
      { ...claims, repository_id: 42 },
      'allow',
    ],
    [
      'unsupported operator fails closed',
      policy(stmt({ NumericEquals: { [`${GH}:repository_id`]: '42' } })),
      claims,
      'implicit-deny',
    ],
  ];
  it.each(cases)('%s', (_name, doc, c, decision) => {
    expect(evaluateAwsTrustPolicy(doc, c).decision).toBe(decision);
  });

  it('explains a sub mismatch in one line', () => {
    const r = evaluateAwsTrustPolicy(
      policy({
        Sid: 'GitHubMain',
        ...stmt({ StringLike: { [`${GH}:sub`]: 'repo:acme/app:ref:refs/heads/main' } }),
      }),
      { ...claims, sub: 'repo:acme/app:ref:refs/heads/dev' },
    );
    expect(r.statements[0]!.matched).toBe(false);
    expect(r.statements[0]!.reasons).toContain(
      'Statement 0 (sid GitHubMain): StringLike token.actions.githubusercontent.com:sub expected one of [repo:acme/app:ref:refs/heads/main], token has repo:acme/app:ref:refs/heads/dev → no match',
    );
  });

  it('checks the account when given', () => {
    expect(
      evaluateAwsTrustPolicy(policy(stmt(undefined)), claims, { accountId: '999999999999' }).decision,
    ).toBe('implicit-deny');
    expect(
      evaluateAwsTrustPolicy(policy(stmt(undefined)), claims, { accountId: '123456789012' }).decision,
    ).toBe('allow');
  });

  it('maps Google aud to azp and oaud to aud', () => {
    const g = { iss: 'https://accounts.google.com', aud: 'sts.amazonaws.com', azp: '1234', sub: '1234' };
    const doc = policy({
      Effect: 'Allow',
      Principal: { Federated: 'accounts.google.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { 'accounts.google.com:aud': '1234', 'accounts.google.com:oaud': 'sts.amazonaws.com' },
      },
    });
    expect(evaluateAwsTrustPolicy(doc, g).decision).toBe('allow');
    expect(evaluateAwsTrustPolicy(doc, { ...g, azp: '999' }).decision).toBe('implicit-deny');
  });

  it('self-managed GitLab exposes only sub and aud', () => {
    const gl = {
      iss: 'https://gitlab.example.com',
      aud: 'a',
      sub: 's',
      project_id: '1',
      namespace_id: '2',
      pipeline_source: 'push',
      project_path: 'g/p',
    };
    const doc = policy({
      Effect: 'Allow',
      Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/gitlab.example.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'gitlab.example.com:project_id': '1' } },
    });
    expect(evaluateAwsTrustPolicy(doc, gl).decision).toBe('implicit-deny');
    const onCom = JSON.parse(JSON.stringify(doc).replaceAll('gitlab.example.com', 'gitlab.com'));
    expect(evaluateAwsTrustPolicy(onCom, { ...gl, iss: 'https://gitlab.com' }).decision).toBe('allow');
  });

  it('rejects a document without statements', () => {
    expect(() => evaluateAwsTrustPolicy('{}', claims)).toThrow(TrustError);
    try {
      evaluateAwsTrustPolicy('not json', claims);
    } catch (e) {
      expect((e as TrustError).code).toBe('ERR_TRUST_POLICY_INVALID');
    }
    expect.assertions(2);
  });
});
