import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issuer, startIssuer } from '../issuers/issuer.js';
import { verifyJwt } from '../verify.js';
import { GCP_ID_TOKEN_ISSUER, type GcpEmulator, rfc3339, startGcp } from './gcp.js';

const PROVIDER = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const STRICT = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/strict';
const FN = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/by-function';
const CUSTOM_AUD = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/custom-aud';
const DISABLED = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/disabled';
const SA = 'deployer@my-proj.iam.gserviceaccount.com';
const LOCKED = 'locked@my-proj.iam.gserviceaccount.com';
const LONG = 'long@my-proj.iam.gserviceaccount.com';
const aud = (provider: string) => `//iam.googleapis.com/${provider}`;

describe('startGcp', () => {
  let issuer: Issuer;
  let other: Issuer;
  let gcp: GcpEmulator;

  beforeAll(async () => {
    issuer = await startIssuer();
    other = await startIssuer();
    gcp = await startGcp({
      trusted: [{ issuer: issuer.issuer }],
      providers: {
        [PROVIDER]: {
          attributeMapping: { 'google.subject': 'sub', 'attribute.repository': 'repository' },
        },
        [`//iam.googleapis.com/${STRICT}`]: {
          attributeCondition: { repository: 'octo/*', ref: 'refs/heads/main' },
        },
        [FN]: { attributeCondition: (claims) => claims['environment'] === 'prod' },
        [CUSTOM_AUD]: { audiences: ['my-audience'] },
        [DISABLED]: { disabled: true },
      },
      serviceAccounts: {
        [SA]: {
          allowedPrincipals: [
            `principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci-pool/attribute.repository/octo/app`,
          ],
        },
        [LOCKED]: { allowedPrincipals: [] },
        [LONG]: { maxLifetimeSec: 43_200 },
      },
      projects: { '123456789': 'my-proj' },
    });
  });
  afterAll(async () => {
    await gcp.close();
    await issuer.close();
    await other.close();
  });

  const mint = (
    claims: Record<string, unknown> = {},
    who: Issuer = issuer,
    lifetimeSec?: number,
  ): Promise<string> =>
    who.mint(
      {
        sub: 'repo:octo/app:ref:refs/heads/main',
        aud: `https://iam.googleapis.com/${PROVIDER}`,
        repository: 'octo/app',
        ref: 'refs/heads/main',
        ...claims,
      },
      lifetimeSec === undefined ? {} : { lifetimeSec },
    );

  const exchange = async (subjectToken: string, provider = PROVIDER) => {
    const res = await fetch(gcp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        audience: `//iam.googleapis.com/${provider}`,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token: subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const federated = async () => {
    const r = await exchange(await mint());
    return r.body['access_token'] as string;
  };

  const iam = async (
    method: string,
    body: unknown,
    bearer: string | undefined,
    sa = SA,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${gcp.url}/v1/projects/-/serviceAccounts/${sa}:${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('exchanges a verified token for a federated token that tokeninfo attributes to its principal', async () => {
    const r = await exchange(await mint());
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
    });
    expect(r.body['expires_in']).toBeGreaterThan(0);
    const info = await fetch(`${gcp.url}/tokeninfo?access_token=${r.body['access_token']}`);
    expect(await info.json()).toMatchObject({
      sub: 'principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci-pool/subject/repo:octo/app:ref:refs/heads/main',
    });
  });

  it('accepts the camelCase JSON body google-github-actions/auth sends', async () => {
    const res = await fetch(gcp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        audience: `//iam.googleapis.com/${PROVIDER}`,
        grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
        requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
        subjectToken: await mint(),
      }),
    });
    expect(res.status).toBe(200);
  });

  it('never issues a federated token that outlives the subject token', async () => {
    const r = await exchange(await mint({}, issuer, 120));
    expect(r.body['expires_in']).toBeLessThanOrEqual(120);
  });

  it.each<[string, () => Promise<string>, string, string]>([
    ['an unknown provider', () => mint(), PROVIDER.replace('ci-oidc', 'nope'), 'invalid_target'],
    ['a disabled provider', () => mint(), DISABLED, 'invalid_target'],
    ['a wrong audience', () => mint({ aud: 'https://example.com' }), PROVIDER, 'invalid_grant'],
    ['a custom audience list', () => mint(), CUSTOM_AUD, 'invalid_grant'],
    [
      'an expired token',
      () =>
        issuer.mint(
          { sub: 's', aud: `https://iam.googleapis.com/${PROVIDER}` },
          { iat: Math.floor(Date.now() / 1000) - 3600, lifetimeSec: 300 },
        ),
      PROVIDER,
      'invalid_grant',
    ],
    ['an untrusted issuer', () => mint({}, other), PROVIDER, 'invalid_grant'],
    ['a token that is not a JWT', async () => 'not-a-jwt', PROVIDER, 'invalid_grant'],
    [
      'a failed glob condition',
      () => mint({ ref: 'refs/heads/dev', aud: aud(STRICT) }),
      STRICT,
      'unauthorized_client',
    ],
    [
      'a failed predicate condition',
      () => mint({ environment: 'dev', aud: aud(FN) }),
      FN,
      'unauthorized_client',
    ],
  ])('rejects %s with %s', async (_, token, provider, error) => {
    const r = await exchange(await token(), provider);
    expect(r.status).toBe(400);
    expect(r.body['error']).toBe(error);
    expect(typeof r.body['error_description']).toBe('string');
  });

  it('admits a token that meets the conditions', async () => {
    expect((await exchange(await mint({ aud: aud(STRICT) }), STRICT)).status).toBe(200);
    expect((await exchange(await mint({ environment: 'prod', aud: aud(FN) }), FN)).status).toBe(200);
  });

  it('rejects tokens signed with a revoked key', async () => {
    const kid = issuer.keys.currentKid;
    const token = await mint();
    await issuer.rotateKeys();
    issuer.revokeKey(kid);
    const r = await exchange(token);
    expect(r.body['error']).toBe('invalid_grant');
    expect((await exchange(await mint())).status).toBe(200);
  });

  it('rejects bad request parameters', async () => {
    const res = await fetch(gcp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('generateAccessToken mints a service account token with a whole-second expireTime', async () => {
    const r = await iam(
      'generateAccessToken',
      { scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '600s' },
      await federated(),
    );
    expect(r.status).toBe(200);
    expect(r.body['expireTime']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(gcp.lookup(r.body['accessToken'] as string)).toMatchObject({ kind: 'service_account', email: SA });
    const info = await fetch(`${gcp.url}/tokeninfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: r.body['accessToken'] as string }),
    });
    expect(await info.json()).toMatchObject({ email: SA, email_verified: 'true' });
  });

  it.each([
    ['no bearer', () => Promise.resolve(undefined), SA, {}, 401, 'UNAUTHENTICATED'],
    ['an unknown bearer', () => Promise.resolve('ya29.nope'), SA, {}, 401, 'UNAUTHENTICATED'],
    ['a principal without the binding', federated, LOCKED, {}, 403, 'PERMISSION_DENIED'],
    ['an unknown account', federated, 'ghost@my-proj.iam.gserviceaccount.com', {}, 404, 'NOT_FOUND'],
    ['no scope', federated, SA, { scope: [] }, 400, 'INVALID_ARGUMENT'],
    ['a lifetime over 1h', federated, SA, { lifetime: '7200s' }, 400, 'INVALID_ARGUMENT'],
  ] as const)('generateAccessToken answers %s with %s', async (_, bearer, sa, extra, status, code) => {
    const r = await iam(
      'generateAccessToken',
      { scope: ['https://www.googleapis.com/auth/cloud-platform'], ...extra },
      await bearer(),
      sa,
    );
    expect(r.status).toBe(status);
    expect(r.body['error']).toMatchObject({ code: status, status: code });
  });

  it('names the denied permission in the ErrorInfo detail', async () => {
    const r = await iam(
      'generateAccessToken',
      { scope: ['https://www.googleapis.com/auth/cloud-platform'] },
      await federated(),
      LOCKED,
    );
    const error = r.body['error'] as { details: Array<Record<string, unknown>> };
    expect(error.details[0]).toMatchObject({
      reason: 'IAM_PERMISSION_DENIED',
      metadata: { permission: 'iam.serviceAccounts.getAccessToken' },
    });
  });

  it('allows up to 12h where the org constraint is modelled', async () => {
    const r = await iam(
      'generateAccessToken',
      { scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '43200s' },
      await federated(),
      LONG,
    );
    expect(r.status).toBe(200);
  });

  it('generateIdToken mints a JWT that verifies against the emulator JWKS', async () => {
    const r = await iam(
      'generateIdToken',
      { audience: 'https://svc.example', includeEmail: true },
      await federated(),
    );
    expect(r.status).toBe(200);
    const verdict = await verifyJwt(r.body['token'] as string, {
      trusted: [{ issuer: GCP_ID_TOKEN_ISSUER, jwksUri: gcp.idTokenJwksUri }],
      audience: 'https://svc.example',
    });
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.claims).toMatchObject({ email: SA, sub: gcp.uniqueIdOf(SA) });
  });

  it('generateIdToken checks the binding with the getOpenIdToken permission', async () => {
    const r = await iam('generateIdToken', { audience: 'x' }, await federated(), LOCKED);
    expect(r.status).toBe(403);
    expect(JSON.stringify(r.body)).toContain('iam.serviceAccounts.getOpenIdToken');
  });

  it('serves the Cloud Resource Manager project lookup to live tokens only', async () => {
    const token = await federated();
    const ok = await fetch(`${gcp.url}/v1/projects/123456789`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await ok.json()).toMatchObject({ projectId: 'my-proj', projectNumber: '123456789' });
    const anon = await fetch(`${gcp.url}/v1/projects/123456789`);
    expect(anon.status).toBe(401);
  });

  it('introspects live tokens the way gcloud asks (RFC 7662)', async () => {
    const introspect = async (token: string) => {
      const res = await fetch(`${gcp.url}/v1/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          token,
          token_type_hint: 'urn:ietf:params:oauth:token-type:access_token',
        }),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const live = await introspect(await federated());
    expect(live).toMatchObject({ active: true });
    expect(String(live['username'])).toMatch(/^principal:\/\/iam\.googleapis\.com\/projects\/123456789\//);
    expect(await introspect('ya29.unknown')).toEqual({ active: false });
  });

  it('applies queued faults and counts requests per path', async () => {
    const before = gcp.count('/v1/token');
    gcp.faults.add({ kind: 'status', status: 503, path: '/v1/token' });
    const first = await fetch(gcp.tokenUrl, { method: 'POST' });
    expect(first.status).toBe(503);
    expect((await exchange(await mint())).status).toBe(200);
    expect(gcp.count('/v1/token') - before).toBe(2);
  });

  it('renders RFC 3339 times without fractional seconds', () => {
    expect(rfc3339(Date.UTC(2026, 10, 22, 12, 55, 28, 469))).toBe('2026-11-22T12:55:28Z');
  });
});
