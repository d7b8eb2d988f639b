import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issuer, startIssuer } from '../issuers/issuer.js';
import { verifyJwt } from '../verify.js';
import { type Entra, entraTimestamp, startEntra } from './entra.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const BARE = 'aaaaaaaa-bbbb-cccc-dddd-ffffffffffff';
const SUB = 'repo:octo/app:ref:refs/heads/main';
const AUD = 'api://AzureADTokenExchange';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

function call(url: string, body?: URLSearchParams, ca?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = fn(
      u,
      {
        method: body ? 'POST' : 'GET',
        headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        ...(ca ? { ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body?.toString());
  });
}

function form(assertion: string, extra: Record<string, string | undefined> = {}): URLSearchParams {
  const base: Record<string, string | undefined> = {
    client_id: CLIENT,
    scope: 'https://management.azure.com/.default',
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
    ...extra,
  };
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(base)) if (v !== undefined) p.set(k, v);
  return p;
}

describe('startEntra', () => {
  let issuer: Issuer;
  let other: Issuer;
  let entra: Entra;

  beforeAll(async () => {
    issuer = await startIssuer();
    other = await startIssuer();
    entra = await startEntra({
      https: false,
      tenants: {
        [TENANT]: {
          apps: {
            [CLIENT]: { federatedCredentials: [{ issuer: issuer.issuer, subject: SUB, audiences: [AUD] }] },
            [BARE]: { federatedCredentials: [] },
          },
        },
      },
      trusted: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }],
    });
  });
  afterAll(async () => {
    await entra.close();
    await issuer.close();
    await other.close();
  });

  it('issues a verifiable access token for a matching federated credential', async () => {
    const assertion = await issuer.mint({ sub: SUB, aud: AUD });
    const res = await call(entra.tokenUrl(TENANT), form(assertion));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    expect(res.headers['cache-control']).toContain('no-store');
    const verified = await verifyJwt(res.json['access_token'] as string, {
      trusted: [{ issuer: entra.issuerFor(TENANT) }],
      audience: 'https://management.azure.com',
    });
    expect(verified.ok).toBe(true);
    if (verified.ok) expect(verified.claims).toMatchObject({ tid: TENANT, azp: CLIENT, idtyp: 'app' });
    expect(entra.issued.at(-1)?.assertionClaims['sub']).toBe(SUB);
  });

  const cases: Array<{
    name: string;
    tenant?: string;
    claims?: Record<string, unknown>;
    extra?: Record<string, string | undefined>;
    useOther?: boolean;
    lifetimeSec?: number;
    iat?: number;
    status: number;
    error: string;
    code: number;
  }> = [
    {
      name: 'unknown tenant',
      tenant: '99999999-2222-3333-4444-555555555555',
      status: 400,
      error: 'invalid_request',
      code: 90002,
    },
    {
      name: 'unknown app',
      extra: { client_id: '00000000-0000-0000-0000-000000000000' },
      status: 400,
      error: 'unauthorized_client',
      code: 700016,
    },
    {
      name: 'no federated credentials',
      extra: { client_id: BARE },
      status: 400,
      error: 'invalid_request',
      code: 70021,
    },
    {
      name: 'wrong subject',
      claims: { sub: 'repo:octo/app:ref:refs/heads/dev' },
      status: 400,
      error: 'invalid_client',
      code: 700213,
    },
    {
      name: 'subject differing in case',
      claims: { sub: SUB.toUpperCase() },
      status: 400,
      error: 'invalid_client',
      code: 700213,
    },
    {
      name: 'wrong audience',
      claims: { aud: 'sts.amazonaws.com' },
      status: 400,
      error: 'invalid_client',
      code: 700212,
    },
    { name: 'untrusted issuer', useOther: true, status: 400, error: 'invalid_client', code: 700211 },
    {
      name: 'expired assertion',
      iat: Math.floor(Date.now() / 1000) - 3600,
      lifetimeSec: 300,
      status: 400,
      error: 'invalid_client',
      code: 700024,
    },
    {
      name: 'missing assertion',
      extra: { client_assertion: undefined },
      status: 401,
      error: 'invalid_client',
      code: 7000218,
    },
    {
      name: 'a client secret',
      extra: { client_assertion: undefined, client_assertion_type: undefined, client_secret: 's3cret' },
      status: 401,
      error: 'invalid_client',
      code: 7000215,
    },
    {
      name: 'a scope without /.default',
      extra: { scope: 'https://management.azure.com/user_impersonation' },
      status: 400,
      error: 'invalid_scope',
      code: 1002012,
    },
    {
      name: 'another grant',
      extra: { grant_type: 'password' },
      status: 400,
      error: 'unsupported_grant_type',
      code: 70003,
    },
    {
      name: 'no client id',
      extra: { client_id: undefined },
      status: 400,
      error: 'invalid_request',
      code: 900144,
    },
    {
      name: 'a malformed assertion',
      extra: { client_assertion: 'not-a-jwt' },
      status: 400,
      error: 'invalid_request',
      code: 50027,
    },
  ];
  for (const c of cases) {
    it(`answers ${c.name} with AADSTS${c.code}`, async () => {
      const mintOpts = {
        ...(c.lifetimeSec === undefined ? {} : { lifetimeSec: c.lifetimeSec }),
        ...(c.iat === undefined ? {} : { iat: c.iat }),
      };
      const assertion = await (c.useOther ? other : issuer).mint(
        { sub: SUB, aud: AUD, ...c.claims },
        mintOpts,
      );
      const res = await call(entra.tokenUrl(c.tenant ?? TENANT), form(assertion, c.extra));
      expect(res.status).toBe(c.status);
      expect(res.json['error']).toBe(c.error);
      expect(res.json['error_codes']).toEqual([c.code]);
      expect(String(res.json['error_description'])).toMatch(
        new RegExp(`^AADSTS${c.code}: .*\\r\\nTrace ID: `),
      );
      expect(res.json['trace_id']).toBe(res.headers['x-ms-request-id']);
      expect(String(res.json['timestamp'])).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    });
  }

  it('rejects an assertion signed with a revoked key (AADSTS700027)', async () => {
    const kid = issuer.keys.currentKid;
    const assertion = await issuer.mint({ sub: SUB, aud: AUD }, { kid });
    await issuer.rotateKeys();
    issuer.revokeKey(kid);
    const res = await call(entra.tokenUrl(TENANT), form(assertion));
    expect(res.status).toBe(401);
    expect(res.json['error_codes']).toEqual([700027]);
  });

  it('echoes client-request-id as the correlation id', async () => {
    const assertion = await issuer.mint({ sub: SUB, aud: 'wrong' });
    const res = await call(`${entra.tokenUrl(TENANT)}?client-request-id=corr-1`, form(assertion));
    expect(res.json['correlation_id']).toBe('corr-1');
  });

  it('serves tenant discovery, keys and instance discovery, and 90002 for unknown tenants', async () => {
    const doc = await call(`${entra.url}/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(doc.json).toMatchObject({
      issuer: entra.issuerFor(TENANT),
      token_endpoint: entra.tokenUrl(TENANT),
      jwks_uri: entra.jwksUri(TENANT),
    });
    const keys = await call(entra.jwksUri(TENANT));
    expect((keys.json['keys'] as unknown[]).length).toBeGreaterThan(0);
    const instance = await call(`${entra.url}/common/discovery/instance?api-version=1.1`);
    expect(instance.json['api-version']).toBe('1.1');
    const missing = await call(`${entra.url}/contoso.example/v2.0/.well-known/openid-configuration`);
    expect(missing.json['error_codes']).toEqual([90002]);
  });

  it('applies injected faults and counts requests', async () => {
    const before = entra.count('/');
    entra.faults.add({ kind: 'status', status: 503, path: `/${TENANT}/oauth2` });
    const assertion = await issuer.mint({ sub: SUB, aud: AUD });
    const first = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(entra.tokenUrl(TENANT), { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(form(assertion).toString());
    });
    expect(first).toBe(503);
    const second = await call(entra.tokenUrl(TENANT), form(assertion));
    expect(second.status).toBe(200);
    expect(entra.count('/') - before).toBe(2);
  });

  it('formats timestamps like Entra', () => {
    expect(entraTimestamp(Date.UTC(2016, 0, 9, 2, 2, 12, 469))).toBe('2016-01-09 02:02:12Z');
  });
});

describe('startEntra over https', () => {
  it('serves with a CA clients can trust', async () => {
    const entra = await startEntra({ tenants: { 'contoso.onmicrosoft.com': { apps: {} } } });
    try {
      expect(entra.url.startsWith('https://')).toBe(true);
      const doc = await call(
        `${entra.url}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`,
        undefined,
        entra.caPem,
      );
      expect(doc.status).toBe(200);
      expect(String(doc.json['token_endpoint'])).toMatch(
        /^https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/oauth2\/v2\.0\/token$/,
      );
    } finally {
      await entra.close();
    }
  });
});
