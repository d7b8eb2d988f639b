import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { buildExternalAccount, fileRef, renderExternalAccount, resolveFileRefs } from './external-account.js';
import { gcpTarget } from './index.js';
import {
  buildGenerateAccessTokenRequest,
  buildGenerateIdTokenRequest,
  buildStsRequest,
  iamCredentialsUrl,
  stsAudience,
} from './request.js';

const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const SA = 'deployer@my-proj.iam.gserviceaccount.com';
const opts = (raw: Record<string, string> = {}) =>
  parseOptions(gcpTarget, { 'workload-identity-provider': WIP, ...raw });

describe('gcp request builders', () => {
  it('builds the STS form google-auth-library sends', () => {
    const req = buildStsRequest(
      opts({ scopes: 'https://a.example/x,https://a.example/y' }),
      'subject.jwt.token',
    );
    expect(req.url).toBe('https://sts.googleapis.com/v1/token');
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience: `//iam.googleapis.com/${WIP}`,
      scope: 'https://a.example/x https://a.example/y',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: 'subject.jwt.token',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    });
  });

  it('asks STS for cloud-platform when impersonating, whatever the final scopes', () => {
    const req = buildStsRequest(opts({ 'service-account': SA, scopes: 'https://a.example/x' }), 't');
    expect(new URLSearchParams(req.body).get('scope')).toBe('https://www.googleapis.com/auth/cloud-platform');
  });

  it.each([
    [{}, `//iam.googleapis.com/${WIP}`, 'https://sts.googleapis.com/v1/token'],
    [{ universe: 'example.test' }, `//iam.example.test/${WIP}`, 'https://sts.example.test/v1/token'],
    [{ 'sts-endpoint': 'http://127.0.0.1:9/' }, `//iam.googleapis.com/${WIP}`, 'http://127.0.0.1:9/v1/token'],
  ])('derives audience and URL from %j', (raw, audience, url) => {
    const o = opts(raw);
    expect(stsAudience(o)).toBe(audience);
    expect(buildStsRequest(o, 't').url).toBe(url);
  });

  it('builds generateAccessToken with scope (singular), lifetime in seconds and full delegate names', () => {
    const o = opts({ 'service-account': SA, lifetime: '2h', delegates: 'a@p1.iam.gserviceaccount.com' });
    const req = buildGenerateAccessTokenRequest(o, SA, 'fed-token');
    expect(req.url).toBe(
      `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
    );
    expect(req.headers['authorization']).toBe('Bearer fed-token');
    expect(JSON.parse(req.body)).toEqual({
      delegates: ['projects/-/serviceAccounts/a@p1.iam.gserviceaccount.com'],
      scope: ['https://www.googleapis.com/auth/cloud-platform'],
      lifetime: '7200s',
    });
  });

  it('builds generateIdToken with audience and includeEmail', () => {
    const o = opts({
      'service-account': SA,
      'token-format': 'id_token',
      'id-token-audience': 'https://svc',
      'id-token-include-email': 'true',
    });
    const req = buildGenerateIdTokenRequest(o, SA, 'https://svc', 'fed');
    expect(req.url).toBe(iamCredentialsUrl(o, SA, 'generateIdToken'));
    expect(JSON.parse(req.body)).toEqual({ audience: 'https://svc', includeEmail: true });
  });
});

describe('external_account', () => {
  it('builds the documented shape for direct federation', () => {
    const doc = buildExternalAccount(opts(), { file: '/tmp/t' });
    expect(doc).toEqual({
      type: 'external_account',
      audience: `//iam.googleapis.com/${WIP}`,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: 'https://sts.googleapis.com/v1/token',
      credential_source: { file: '/tmp/t' },
    });
  });

  it('adds impersonation, a non-default lifetime and universe', () => {
    const doc = buildExternalAccount(
      opts({
        'service-account': SA,
        lifetime: '30m',
        universe: 'example.test',
        'iam-credentials-endpoint': 'http://127.0.0.1:7',
      }),
      {
        url: 'https://token.example/x',
        headers: { a: 'b' },
        format: { type: 'json', subject_token_field_name: 'value' },
      },
    );
    expect(doc).toMatchObject({
      service_account_impersonation_url: `http://127.0.0.1:7/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
      service_account_impersonation: { token_lifetime_seconds: 1800 },
      universe_domain: 'example.test',
      token_url: 'https://sts.example.test/v1/token',
    });
  });

  it('resolves file references with JSON escaping', () => {
    const text = renderExternalAccount(buildExternalAccount(opts(), { file: fileRef('gcp/subject-token') }));
    const resolved = resolveFileRefs(text, { 'gcp/subject-token': 'C:\\runner\\"tmp"\\token' });
    expect(JSON.parse(resolved).credential_source.file).toBe('C:\\runner\\"tmp"\\token');
    expect(() => resolveFileRefs(text, {})).toThrow(TypeError);
  });
});
