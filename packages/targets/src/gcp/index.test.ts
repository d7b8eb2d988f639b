import { ExchangeError, type FederateError } from '@federate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issuer, startIssuer } from '../../../testkit/src/issuers/issuer.js';
import { GCP_ID_TOKEN_ISSUER, type GcpEmulator, startGcp } from '../../../testkit/src/servers/gcp.js';
import { verifyJwt } from '../../../testkit/src/verify.js';
import { parseOptions, testContext } from '../shared/test-context.js';
import { fileRef, resolveFileRefs } from './external-account.js';
import { CREDENTIALS_FILE, gcpTarget, PROJECT_ENV, SUBJECT_TOKEN_FILE } from './index.js';

const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const STRICT = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/strict';
const SA = 'deployer@my-proj.iam.gserviceaccount.com';
const LOCKED = 'locked@my-proj.iam.gserviceaccount.com';

describe('gcp target against the emulator', () => {
  let issuer: Issuer;
  let gcp: GcpEmulator;

  beforeAll(async () => {
    issuer = await startIssuer();
    gcp = await startGcp({
      trusted: [{ issuer: issuer.issuer }],
      providers: {
        [WIP]: { attributeMapping: { 'google.subject': 'sub', 'attribute.repository': 'repository' } },
        [STRICT]: { attributeCondition: { repository: 'octo/*', ref: 'refs/heads/main' } },
      },
      serviceAccounts: {
        [SA]: {
          allowedPrincipals: [
            'principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci-pool/attribute.repository/octo/app',
          ],
        },
        [LOCKED]: { allowedPrincipals: [] },
      },
    });
  });
  afterAll(async () => {
    await gcp.close();
    await issuer.close();
  });

  const mint = (claims: Record<string, unknown> = {}, provider = WIP) =>
    issuer.mint({
      sub: 'repo:octo/app:ref:refs/heads/main',
      aud: `https://iam.googleapis.com/${provider}`,
      repository: 'octo/app',
      ref: 'refs/heads/main',
      ...claims,
    });

  const options = (raw: Record<string, string> = {}) =>
    parseOptions(gcpTarget, {
      'workload-identity-provider': WIP,
      'sts-endpoint': gcp.url,
      'iam-credentials-endpoint': gcp.url,
      ...raw,
    });

  const value = (creds: { values: readonly { output?: string; value: string }[] }, output: string) =>
    creds.values.find((v) => v.output === output)?.value;

  async function fails(
    token: string,
    raw: Record<string, string> = {},
    ctxOpts = {},
  ): Promise<FederateError> {
    const ctx = testContext({ token, ...ctxOpts });
    try {
      await gcpTarget.exchange(ctx, options(raw));
    } catch (error) {
      const fe = error as FederateError;
      expect(fe.message).not.toContain(token);
      expect(JSON.stringify(ctx.lines)).not.toContain(token);
      return fe;
    }
    throw new Error('expected the exchange to fail');
  }

  it('direct federation exports the federated token and an external_account file', async () => {
    const token = await mint();
    const ctx = testContext({ token });
    const creds = await gcpTarget.exchange(ctx, options());
    const at = value(creds, 'gcp-access-token') as string;
    expect(gcp.lookup(at)).toMatchObject({ kind: 'federated' });
    expect(creds.principal).toBe(
      'principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci-pool/subject/repo:octo/app:ref:refs/heads/main',
    );
    expect(creds.values.find((v) => v.output === 'gcp-access-token')?.secret).toBe(true);
    expect(creds.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    expect(creds.files.map((f) => f.name)).toEqual([SUBJECT_TOKEN_FILE, CREDENTIALS_FILE]);
    const tokenFile = creds.files[0];
    expect(tokenFile?.content).toBe(token);
    expect(tokenFile?.secret).toBe(true);
    const json = JSON.parse(resolveFileRefs(creds.files[1]?.content ?? '', { [SUBJECT_TOKEN_FILE]: '/p/t' }));
    expect(json).toEqual({
      type: 'external_account',
      audience: `//iam.googleapis.com/${WIP}`,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: `${gcp.url}/v1/token`,
      token_info_url: `${gcp.url}/v1/introspect`,
      credential_source: { file: '/p/t' },
    });
    expect(creds.files[1]?.env).toEqual([
      'GOOGLE_APPLICATION_CREDENTIALS',
      'CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE',
    ]);
    expect(creds.values.some((v) => v.env !== undefined && PROJECT_ENV.includes(v.env))).toBe(false);
    expect(gcp.count('/v1/projects')).toBe(0);
  });

  it('impersonation exports the service account token, its expiry and the project', async () => {
    const before = gcp.count('/v1/projects/-/serviceAccounts');
    const creds = await gcpTarget.exchange(
      testContext({ token: await mint() }),
      options({ 'service-account': SA, lifetime: '10m' }),
    );
    const at = value(creds, 'gcp-access-token') as string;
    expect(gcp.lookup(at)).toMatchObject({ kind: 'service_account', email: SA });
    expect(creds.principal).toBe(SA);
    expect(value(creds, 'gcp-access-token-expiration')).toBe(creds.expiresAt?.toISOString());
    expect(value(creds, 'gcp-project-id')).toBe('my-proj');
    expect(creds.values.filter((v) => v.env !== undefined).map((v) => v.env)).toEqual(PROJECT_ENV);
    expect(gcp.count('/v1/projects/-/serviceAccounts') - before).toBe(1);
    const json = JSON.parse(resolveFileRefs(creds.files[1]?.content ?? '', { [SUBJECT_TOKEN_FILE]: '/p/t' }));
    expect(json.service_account_impersonation_url).toBe(
      `${gcp.url}/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
    );
    expect(json.service_account_impersonation).toEqual({ token_lifetime_seconds: 600 });
  });

  it('mints an ID token for the service account', async () => {
    const creds = await gcpTarget.exchange(
      testContext({ token: await mint() }),
      options({
        'service-account': SA,
        'token-format': 'id_token',
        'id-token-audience': 'https://svc.example',
        'id-token-include-email': 'true',
      }),
    );
    const idToken = value(creds, 'gcp-id-token') as string;
    const verdict = await verifyJwt(idToken, {
      trusted: [{ issuer: GCP_ID_TOKEN_ISSUER, jwksUri: gcp.idTokenJwksUri }],
      audience: 'https://svc.example',
    });
    expect(verdict.ok && verdict.claims['email']).toBe(SA);
    expect(value(creds, 'gcp-access-token')).toBeUndefined();
  });

  it('token-format none stops after STS and skips the file when asked', async () => {
    const before = gcp.count('/v1/projects/-/serviceAccounts');
    const creds = await gcpTarget.exchange(
      testContext({ token: await mint() }),
      options({ 'service-account': SA, 'token-format': 'none', 'create-credentials-file': 'false' }),
    );
    expect(gcp.lookup(value(creds, 'gcp-federated-token') as string)).toMatchObject({ kind: 'federated' });
    expect(creds.files).toEqual([]);
    expect(gcp.count('/v1/projects/-/serviceAccounts')).toBe(before);
  });

  it.each([
    [
      'an unknown provider',
      () => mint({}, WIP.replace('ci-oidc', 'gone1')),
      { 'workload-identity-provider': WIP.replace('ci-oidc', 'gone1') },
      'invalid_target',
    ],
    [
      'the attribute condition',
      () => mint({ ref: 'refs/heads/dev' }, STRICT),
      { 'workload-identity-provider': STRICT },
      'unauthorized_client',
    ],
    ['a wrong audience', () => mint({ aud: 'https://elsewhere.example' }), {}, 'invalid_grant'],
    [
      'an expired token',
      () =>
        issuer.mint(
          { sub: 's', aud: `https://iam.googleapis.com/${WIP}` },
          { iat: Math.floor(Date.now() / 1000) - 7200 },
        ),
      {},
      'invalid_grant',
    ],
  ] as const)('maps STS rejecting %s', async (_, token, raw, serverCode) => {
    const e = await fails(await token(), raw);
    expect(e).toBeInstanceOf(ExchangeError);
    expect(e.code).toBe('ERR_EXCHANGE_REJECTED');
    expect((e as ExchangeError).serverCode).toBe(serverCode);
    expect(e.hint).toBeTruthy();
  });

  it('maps a token signed with a revoked key', async () => {
    const kid = issuer.keys.currentKid;
    const token = await mint();
    await issuer.rotateKeys();
    issuer.revokeKey(kid);
    const e = (await fails(token)) as ExchangeError;
    expect(e.serverCode).toBe('invalid_grant');
  });

  it.each([
    [LOCKED, 'PERMISSION_DENIED'],
    ['ghost@my-proj.iam.gserviceaccount.com', 'NOT_FOUND'],
  ])('maps IAM Credentials refusing %s', async (sa, serverCode) => {
    const e = (await fails(await mint(), { 'service-account': sa })) as ExchangeError;
    expect(e.code).toBe('ERR_EXCHANGE_REJECTED');
    expect(e.serverCode).toBe(serverCode);
    expect(e.hint).toContain(sa);
  });

  it('refuses a credential source that cannot work here before any request', async () => {
    const before = gcp.count('/v1/token');
    // The test token is not a GitHub runner's (no ACTIONS_ID_TOKEN_REQUEST_*), and no CLI is known.
    expect((await fails(await mint(), { 'credential-source': 'url' })).code).toBe('ERR_CONFIG_INVALID');
    expect((await fails(await mint(), { 'credential-source': 'executable' })).code).toBe(
      'ERR_CONFIG_INVALID',
    );
    expect(gcp.count('/v1/token')).toBe(before);
  });

  it('retries throttling and succeeds', async () => {
    const before = gcp.count('/v1/token');
    gcp.faults.add({
      kind: 'status',
      status: 429,
      times: 2,
      path: '/v1/token',
      body: '{"error":"rate_limited"}',
    });
    const creds = await gcpTarget.exchange(testContext({ token: await mint() }), options());
    expect(value(creds, 'gcp-access-token')).toBeTruthy();
    expect(gcp.count('/v1/token') - before).toBe(3);
  });

  it('reports a persistent 5xx as ERR_EXCHANGE_SERVER', async () => {
    gcp.faults.add({ kind: 'status', status: 503, times: 2, path: '/v1/token' });
    const e = await fails(await mint(), {}, { maxAttempts: 2 });
    expect(e.code).toBe('ERR_EXCHANGE_SERVER');
    gcp.faults.clear();
  });

  it.each([
    ['a truncated body', { kind: 'malformed' as const, path: '/v1/token' }],
    ['an HTML page', { kind: 'content-type' as const, contentType: 'text/html', path: '/v1/token' }],
    ['a truncated IAM body', { kind: 'malformed' as const, path: '/v1/projects/-/serviceAccounts' }],
  ])('reports %s as ERR_EXCHANGE_BAD_RESPONSE', async (_, fault) => {
    gcp.faults.add(fault);
    const e = await fails(await mint(), { 'service-account': SA });
    expect(e.code).toBe('ERR_EXCHANGE_BAD_RESPONSE');
    gcp.faults.clear();
  });

  it('never logs a token', async () => {
    const token = await mint();
    const ctx = testContext({ token });
    const creds = await gcpTarget.exchange(ctx, options({ 'service-account': SA }));
    const text = ctx.lines.join('\n');
    for (const v of creds.values.filter((x) => x.secret)) expect(text).not.toContain(v.value);
    expect(text).not.toContain(token);
    expect(fileRef(SUBJECT_TOKEN_FILE)).toContain(SUBJECT_TOKEN_FILE);
  });
});
