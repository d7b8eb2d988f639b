import { ConfigError, type RawInputs } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { awsTarget } from './index.js';

const ROLE = 'arn:aws:iam::123456789012:role/ci';

function issues(raw: RawInputs, env: Record<string, string> = {}): Array<[string, string]> {
  try {
    parseOptions(awsTarget, raw, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => [i.input, i.code]);
    throw e;
  }
  return [];
}

describe('aws options', () => {
  it('defaults to the regional endpoint of the region and the partition', () => {
    const o = parseOptions(awsTarget, { 'role-arn': ROLE, region: 'eu-west-1' });
    expect(o.endpoint.href).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(o.endpointSource).toBe('default');
    const cn = parseOptions(awsTarget, {
      'role-arn': 'arn:aws-cn:iam::123456789012:role/ci',
      region: 'cn-north-1',
    });
    expect(cn.endpoint.href).toBe('https://sts.cn-north-1.amazonaws.com.cn/');
    const gov = parseOptions(awsTarget, {
      'role-arn': 'arn:aws-us-gov:iam::123456789012:role/ci',
      region: 'us-gov-west-1',
    });
    expect(gov.endpoint.href).toBe('https://sts.us-gov-west-1.amazonaws.com/');
  });

  it('reads the region from AWS_REGION, then AWS_DEFAULT_REGION, then falls back to us-east-1', () => {
    expect(
      parseOptions(
        awsTarget,
        { 'role-arn': ROLE },
        { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-west-2' },
      ).region,
    ).toBe('ap-south-1');
    expect(parseOptions(awsTarget, { 'role-arn': ROLE }, { AWS_DEFAULT_REGION: 'eu-west-2' }).region).toBe(
      'eu-west-2',
    );
    const d = parseOptions(awsTarget, { 'role-arn': ROLE });
    expect(d).toMatchObject({ region: 'us-east-1', regionDefaulted: true });
    expect(d.endpoint.href).toBe('https://sts.us-east-1.amazonaws.com/');
  });

  it('takes the endpoint from input, then AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL', () => {
    const env = { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL: 'http://localhost:1' };
    expect(
      parseOptions(awsTarget, { 'role-arn': ROLE, endpoint: 'https://sts.example.com' }, env).endpoint.href,
    ).toBe('https://sts.example.com/');
    expect(parseOptions(awsTarget, { 'role-arn': ROLE }, env)).toMatchObject({
      endpointSource: 'AWS_ENDPOINT_URL_STS',
    });
    expect(
      parseOptions(awsTarget, { 'role-arn': ROLE }, { AWS_ENDPOINT_URL: 'http://localhost:1' })
        .endpointSource,
    ).toBe('AWS_ENDPOINT_URL');
    expect(
      parseOptions(awsTarget, { 'role-arn': ROLE }, { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })
        .endpointSource,
    ).toBe('default');
  });

  it('parses every option', () => {
    const o = parseOptions(awsTarget, {
      'role-arn': ROLE,
      region: 'eu-central-1',
      'session-name': 'deploy@main',
      duration: '2h',
      'session-policy': '{\n  "Version": "2012-10-17",\n  "Statement": []\n}',
      'managed-policy-arns': 'arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::123456789012:policy/x',
      'role-chain': 'arn:aws:iam::210987654321:role/path/deploy',
      'external-id': 'ext',
      'session-tags': 'team=platform,env=',
      'transitive-tag-keys': 'team',
      profile: 'ci',
      'check-identity': 'true',
      'allowed-account-ids': '123456789012, 210987654321',
    });
    expect(o).toMatchObject({
      sessionName: 'deploy@main',
      durationSeconds: 7200,
      sessionPolicy: '{"Version":"2012-10-17","Statement":[]}',
      managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::123456789012:policy/x'],
      roleChain: {
        roleArn: 'arn:aws:iam::210987654321:role/path/deploy',
        externalId: 'ext',
        tags: [
          { key: 'team', value: 'platform' },
          { key: 'env', value: '' },
        ],
        transitiveTagKeys: ['team'],
      },
      profile: 'ci',
      checkIdentity: true,
      allowedAccountIds: ['123456789012', '210987654321'],
      account: '123456789012',
    });
    expect(awsTarget.describe?.(o)).toContain('then arn:aws:iam::210987654321:role/path/deploy');
    expect(awsTarget.audience(o)).toBe('sts.amazonaws.com');
  });

  const bad: Array<[string, RawInputs, Record<string, string>, Array<[string, string]>]> = [
    ['missing role', {}, {}, [['role-arn', 'ERR_CONFIG_REQUIRED']]],
    [
      'not a role ARN',
      { 'role-arn': 'arn:aws:iam::123456789012:user/bob' },
      {},
      [['role-arn', 'ERR_CONFIG_ARN']],
    ],
    ['bad account', { 'role-arn': 'arn:aws:iam::1234:role/x' }, {}, [['role-arn', 'ERR_CONFIG_ARN']]],
    ['bad region', { 'role-arn': ROLE, region: 'Europe' }, {}, [['region', 'ERR_CONFIG_PATTERN']]],
    ['bad env region', { 'role-arn': ROLE }, { AWS_REGION: 'mars' }, [['region', 'ERR_CONFIG_PATTERN']]],
    [
      'cn without region',
      { 'role-arn': 'arn:aws-cn:iam::123456789012:role/ci' },
      {},
      [['region', 'ERR_CONFIG_REQUIRED']],
    ],
    [
      'cn with a global region',
      { 'role-arn': 'arn:aws-cn:iam::123456789012:role/ci', region: 'eu-west-1' },
      {},
      [['region', 'ERR_CONFIG_INVALID']],
    ],
    ['short duration', { 'role-arn': ROLE, duration: '60' }, {}, [['duration', 'ERR_CONFIG_DURATION']]],
    ['long duration', { 'role-arn': ROLE, duration: '13h' }, {}, [['duration', 'ERR_CONFIG_DURATION']]],
    [
      'bad session name',
      { 'role-arn': ROLE, 'session-name': 'a b' },
      {},
      [['session-name', 'ERR_CONFIG_PATTERN']],
    ],
    [
      'one-char session name',
      { 'role-arn': ROLE, 'session-name': 'a' },
      {},
      [['session-name', 'ERR_CONFIG_PATTERN']],
    ],
    [
      'policy not JSON',
      { 'role-arn': ROLE, 'session-policy': '{' },
      {},
      [['session-policy', 'ERR_CONFIG_JSON']],
    ],
    [
      'policy not an object',
      { 'role-arn': ROLE, 'session-policy': '[]' },
      {},
      [['session-policy', 'ERR_CONFIG_JSON']],
    ],
    [
      'policy too large',
      { 'role-arn': ROLE, 'session-policy': JSON.stringify({ Statement: 'x'.repeat(2100) }) },
      {},
      [['session-policy', 'ERR_CONFIG_INVALID']],
    ],
    [
      'bad policy ARN',
      { 'role-arn': ROLE, 'managed-policy-arns': 'ReadOnlyAccess' },
      {},
      [['managed-policy-arns', 'ERR_CONFIG_ARN']],
    ],
    [
      'eleven policy ARNs',
      {
        'role-arn': ROLE,
        'managed-policy-arns': Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`).join(
          ',',
        ),
      },
      {},
      [['managed-policy-arns', 'ERR_CONFIG_INVALID']],
    ],
    [
      'tags without chain',
      { 'role-arn': ROLE, 'session-tags': 'a=b' },
      {},
      [['session-tags', 'ERR_CONFIG_INVALID']],
    ],
    ['bad chain ARN', { 'role-arn': ROLE, 'role-chain': 'nope' }, {}, [['role-chain', 'ERR_CONFIG_ARN']]],
    [
      'tag without =',
      { 'role-arn': ROLE, 'role-chain': ROLE, 'session-tags': 'ab' },
      {},
      [['session-tags', 'ERR_CONFIG_PATTERN']],
    ],
    [
      'duplicate tag',
      { 'role-arn': ROLE, 'role-chain': ROLE, 'session-tags': 'a=1,A=2' },
      {},
      [['session-tags', 'ERR_CONFIG_INVALID']],
    ],
    [
      'transitive key not tagged',
      { 'role-arn': ROLE, 'role-chain': ROLE, 'session-tags': 'a=1', 'transitive-tag-keys': 'b' },
      {},
      [['transitive-tag-keys', 'ERR_CONFIG_INVALID']],
    ],
    [
      'bad external id',
      { 'role-arn': ROLE, 'role-chain': ROLE, 'external-id': 'x' },
      {},
      [['external-id', 'ERR_CONFIG_PATTERN']],
    ],
    [
      'insecure endpoint',
      { 'role-arn': ROLE, endpoint: 'http://sts.example.com' },
      {},
      [['endpoint', 'ERR_CONFIG_INSECURE_URL']],
    ],
    [
      'insecure env endpoint',
      { 'role-arn': ROLE },
      { AWS_ENDPOINT_URL_STS: 'http://sts.example.com' },
      [['endpoint', 'ERR_CONFIG_INSECURE_URL']],
    ],
    ['bad profile', { 'role-arn': ROLE, profile: 'a b' }, {}, [['profile', 'ERR_CONFIG_PATTERN']]],
    [
      'bad boolean',
      { 'role-arn': ROLE, 'check-identity': 'yes' },
      {},
      [['check-identity', 'ERR_CONFIG_BOOLEAN']],
    ],
    [
      'bad account list',
      { 'role-arn': ROLE, 'allowed-account-ids': '123' },
      {},
      [['allowed-account-ids', 'ERR_CONFIG_PATTERN']],
    ],
  ];
  it.each(bad)('reports %s', (_name, raw, env, want) => {
    expect(issues(raw, env)).toEqual(want);
  });
});
