import { ConfigError } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { gcpTarget } from './index.js';
import { parseProviderResource } from './options.js';

const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const SA = 'deployer@my-proj.iam.gserviceaccount.com';

function issuesOf(raw: Record<string, string>): Array<{ input: string; code: string }> {
  try {
    parseOptions(gcpTarget, raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => ({ input: i.input, code: i.code }));
    throw error;
  }
  return [];
}

describe('gcp options', () => {
  it('applies the defaults', () => {
    const o = parseOptions(gcpTarget, { 'workload-identity-provider': WIP });
    expect(o).toMatchObject({
      provider: { name: WIP, projectNumber: '123456789', pool: 'ci-pool', provider: 'ci-oidc' },
      serviceAccount: undefined,
      tokenFormat: 'access_token',
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
      lifetimeMs: 3_600_000,
      delegates: [],
      idTokenIncludeEmail: false,
      projectId: undefined,
      universe: 'googleapis.com',
      stsEndpoint: 'https://sts.googleapis.com',
      iamCredentialsEndpoint: 'https://iamcredentials.googleapis.com',
      createCredentialsFile: true,
    });
    expect(gcpTarget.audience(o)).toBe(`https://iam.googleapis.com/${WIP}`);
  });

  it('accepts the //iam.googleapis.com/ form and derives the project from the service account', () => {
    const o = parseOptions(gcpTarget, {
      'workload-identity-provider': `//iam.googleapis.com/${WIP}`,
      'service-account': SA,
      'token-format': 'id_token',
      'id-token-audience': 'https://svc.example',
      'id-token-include-email': 'true',
      lifetime: '2h',
      delegates: 'a@p1.iam.gserviceaccount.com, projects/-/serviceAccounts/b@p2.iam.gserviceaccount.com',
      scopes:
        'https://www.googleapis.com/auth/cloud-platform\nhttps://www.googleapis.com/auth/userinfo.email',
    });
    expect(o.provider.name).toBe(WIP);
    expect(o.projectId).toBe('my-proj');
    expect(o.lifetimeMs).toBe(7_200_000);
    expect(o.delegates).toHaveLength(2);
    expect(o.scopes).toHaveLength(2);
    expect(gcpTarget.describe?.(o)).toContain(SA);
  });

  it('strips /v1 and trailing slashes from endpoint overrides and allows loopback http', () => {
    const o = parseOptions(gcpTarget, {
      'workload-identity-provider': WIP,
      'sts-endpoint': 'http://127.0.0.1:8080/v1/',
      'iam-credentials-endpoint': 'https://iam.example.com/',
      universe: 'example.com',
      'project-id': 'other-proj',
    });
    expect(o.stsEndpoint).toBe('http://127.0.0.1:8080');
    expect(o.iamCredentialsEndpoint).toBe('https://iam.example.com');
    expect(o.projectId).toBe('other-proj');
  });

  it.each([
    ['a missing provider', {}, 'workload-identity-provider', 'ERR_CONFIG_REQUIRED'],
    [
      'a project id instead of a number',
      { 'workload-identity-provider': WIP.replace('123456789', 'my-proj') },
      'workload-identity-provider',
      'ERR_CONFIG_PATTERN',
    ],
    [
      'a pool without provider',
      { 'workload-identity-provider': WIP.replace('/providers/ci-oidc', '') },
      'workload-identity-provider',
      'ERR_CONFIG_PATTERN',
    ],
    [
      'a regional location',
      { 'workload-identity-provider': WIP.replace('global', 'us-east1') },
      'workload-identity-provider',
      'ERR_CONFIG_PATTERN',
    ],
    ['a bad service account', { 'service-account': 'not an email' }, 'service-account', 'ERR_CONFIG_PATTERN'],
    ['an unknown token format', { 'token-format': 'jwt' }, 'token-format', 'ERR_CONFIG_ENUM'],
    [
      'id_token without a service account',
      { 'token-format': 'id_token', 'id-token-audience': 'x' },
      'token-format',
      'ERR_CONFIG_REQUIRED',
    ],
    [
      'id_token without an audience',
      { 'token-format': 'id_token', 'service-account': SA },
      'id-token-audience',
      'ERR_CONFIG_REQUIRED',
    ],
    [
      'an id token audience for access tokens',
      { 'service-account': SA, 'id-token-audience': 'x' },
      'id-token-audience',
      'ERR_CONFIG_INVALID',
    ],
    ['a lifetime over 12h', { 'service-account': SA, lifetime: '13h' }, 'lifetime', 'ERR_CONFIG_DURATION'],
    [
      'a fractional-second lifetime',
      { 'service-account': SA, lifetime: '1500ms' },
      'lifetime',
      'ERR_CONFIG_DURATION',
    ],
    ['a lifetime without a service account', { lifetime: '30m' }, 'lifetime', 'ERR_CONFIG_REQUIRED'],
    [
      'delegates without a service account',
      { delegates: 'a@p.iam.gserviceaccount.com' },
      'delegates',
      'ERR_CONFIG_REQUIRED',
    ],
    ['a bad delegate', { 'service-account': SA, delegates: 'nobody' }, 'delegates', 'ERR_CONFIG_PATTERN'],
    ['a short scope', { scopes: 'cloud-platform' }, 'scopes', 'ERR_CONFIG_PATTERN'],
    [
      'a plain http endpoint',
      { 'sts-endpoint': 'http://sts.example.com' },
      'sts-endpoint',
      'ERR_CONFIG_INSECURE_URL',
    ],
    ['a bad universe', { universe: 'not a domain' }, 'universe', 'ERR_CONFIG_PATTERN'],
    ['a bad project id', { 'project-id': 'X' }, 'project-id', 'ERR_CONFIG_PATTERN'],
    ['a non-boolean', { 'create-credentials-file': 'yes' }, 'create-credentials-file', 'ERR_CONFIG_BOOLEAN'],
  ] as const)('reports %s', (_, raw, input, code) => {
    const base =
      'workload-identity-provider' in raw || input === 'workload-identity-provider'
        ? {}
        : { 'workload-identity-provider': WIP };
    expect(issuesOf({ ...base, ...raw })).toContainEqual({ input, code });
  });

  it('explains why a provider name is wrong', () => {
    expect(
      parseProviderResource('projects/my-proj/locations/global/workloadIdentityPools/p123/providers/x123'),
    ).toHaveProperty('hint');
    expect(parseProviderResource(WIP)).toMatchObject({ pool: 'ci-pool' });
  });
});
