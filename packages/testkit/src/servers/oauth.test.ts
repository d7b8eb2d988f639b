import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issuer, startIssuer } from '../issuers/issuer.js';
import { verifyJwt } from '../verify.js';
import {
  OAUTH_CLIENT_ASSERTION_JWT,
  OAUTH_GRANT_JWT_BEARER,
  OAUTH_GRANT_TOKEN_EXCHANGE,
  type OAuthServer,
  startOAuthServer,
} from './oauth.js';

const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const AT = 'urn:ietf:params:oauth:token-type:access_token';

async function post(
  url: string,
  params: Record<string, string | string[] | undefined>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: body.toString(),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

describe('startOAuthServer', () => {
  let issuer: Issuer;
  let as: OAuthServer;
  let open: OAuthServer;

  beforeAll(async () => {
    issuer = await startIssuer();
    as = await startOAuthServer({
      trusted: [{ issuer: issuer.issuer }],
      clients: { 'app one': 'p@ss:word' },
      policies: (claims) => claims['ref'] === 'refs/heads/main',
      allowedTargets: ['https://api.example', 'api'],
      allowedScopes: ['read', 'write'],
      issueRefresh: true,
    });
    open = await startOAuthServer({ trusted: [{ issuer: issuer.issuer }], omitIssuedTokenType: true });
  });
  afterAll(async () => {
    await as.close();
    await open.close();
    await issuer.close();
  });

  const mint = (s: OAuthServer, claims: Record<string, unknown> = {}) =>
    issuer.mint({ sub: 'repo:o/r', aud: s.tokenUrl, ref: 'refs/heads/main', ...claims });

  it('exchanges a subject token (RFC 8693) for a Bearer access token with issued_token_type', async () => {
    const res = await post(
      as.tokenUrl,
      {
        grant_type: OAUTH_GRANT_TOKEN_EXCHANGE,
        subject_token: await mint(as),
        subject_token_type: JWT,
        audience: 'api',
        scope: 'read write',
      },
      { authorization: basic('app one', 'p@ss:word') },
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      token_type: 'Bearer',
      issued_token_type: AT,
      expires_in: 3600,
      scope: 'read write',
    });
    expect(typeof res.json['refresh_token']).toBe('string');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const v = await verifyJwt(res.json['access_token'] as string, {
      trusted: [{ issuer: as.issuer, jwksUri: as.jwksUri }],
      audience: 'api',
    });
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.claims).toMatchObject({ sub: 'repo:o/r', client_id: 'app one', scope: 'read write' });
  });

  it('accepts client_secret_post and the jwt-bearer grant (RFC 7523 §2.1)', async () => {
    const res = await post(as.tokenUrl, {
      grant_type: OAUTH_GRANT_JWT_BEARER,
      assertion: await mint(as),
      client_id: 'app one',
      client_secret: 'p@ss:word',
    });
    expect(res.status).toBe(200);
    expect(res.json['issued_token_type']).toBeUndefined();
    expect(as.issued.at(-1)?.grant).toBe('jwt-bearer');
  });

  it('accepts the token as client assertion with client_credentials (RFC 7523 §2.2)', async () => {
    const res = await post(as.tokenUrl, {
      grant_type: 'client_credentials',
      client_assertion_type: OAUTH_CLIENT_ASSERTION_JWT,
      client_assertion: await mint(as),
    });
    expect(res.status).toBe(200);
    expect(res.json['token_type']).toBe('Bearer');
  });

  it('can omit issued_token_type and needs no client auth when no clients are configured', async () => {
    const res = await post(open.tokenUrl, {
      grant_type: OAUTH_GRANT_TOKEN_EXCHANGE,
      subject_token: await mint(open),
      subject_token_type: JWT,
    });
    expect(res.status).toBe(200);
    expect(res.json['issued_token_type']).toBeUndefined();
    expect(res.json['refresh_token']).toBeUndefined();
  });

  const auth = { authorization: basic('app one', 'p@ss:word') };
  const cases: Array<{
    name: string;
    params: (t: string) => Record<string, string | string[] | undefined>;
    headers?: Record<string, string>;
    claims?: Record<string, unknown>;
    status: number;
    error: string;
    challenge?: boolean;
  }> = [
    {
      name: 'a missing grant_type',
      params: () => ({}),
      headers: auth,
      status: 400,
      error: 'invalid_request',
    },
    {
      name: 'an unknown grant',
      params: () => ({ grant_type: 'password' }),
      headers: auth,
      status: 400,
      error: 'unsupported_grant_type',
    },
    {
      name: 'a missing subject_token',
      params: () => ({ grant_type: OAUTH_GRANT_TOKEN_EXCHANGE, subject_token_type: JWT }),
      headers: auth,
      status: 400,
      error: 'invalid_request',
    },
    {
      name: 'a missing subject_token_type',
      params: (t) => ({ grant_type: OAUTH_GRANT_TOKEN_EXCHANGE, subject_token: t }),
      headers: auth,
      status: 400,
      error: 'invalid_request',
    },
    {
      name: 'actor_token_type without actor_token',
      params: (t) => ({
        grant_type: OAUTH_GRANT_TOKEN_EXCHANGE,
        subject_token: t,
        subject_token_type: JWT,
        actor_token_type: JWT,
      }),
      headers: auth,
      status: 400,
      error: 'invalid_request',
    },
    {
      name: 'a bad subject token (RFC 8693: invalid_request)',
      params: (t) => ({ grant_type: OAUTH_GRANT_TOKEN_EXCHANGE, subject_token: t, subject_token_type: JWT }),
      claims: { aud: 'elsewhere' },
      headers: auth,
      status: 400,
      error: 'invalid_request',
    },
    {
      name: 'a subject token refused by policy',
      params: (t) => ({ grant_type: OAUTH_GRANT_TOKEN_EXCHANGE, subject_token: t, subject_token_type: JWT }),
      claims: { ref: 'refs/heads/dev' },
      headers: auth,
      status: 400,
      error: 'invalid_request',
    },
    {
      name: 'a bad grant assertion (RFC 7523: invalid_grant)',
      params: (t) => ({ grant_type: OAUTH_GRANT_JWT_BEARER, assertion: t }),
      claims: { aud: 'elsewhere' },
      headers: auth,
      status: 400,
      error: 'invalid_grant',
    },
    {
      name: 'a bad client assertion (RFC 7523: invalid_client)',
      params: (t) => ({
        grant_type: 'client_credentials',
        client_assertion_type: OAUTH_CLIENT_ASSERTION_JWT,
        client_assertion: t,
      }),
      claims: { aud: 'elsewhere' },
      status: 401,
      error: 'invalid_client',
    },
    {
      name: 'a wrong Basic secret',
      params: (t) => ({ grant_type: OAUTH_GRANT_JWT_BEARER, assertion: t }),
      headers: { authorization: basic('app one', 'nope') },
      status: 401,
      error: 'invalid_client',
      challenge: true,
    },
    {
      name: 'a wrong post secret',
      params: (t) => ({
        grant_type: OAUTH_GRANT_JWT_BEARER,
        assertion: t,
        client_id: 'app one',
        client_secret: 'nope',
      }),
      status: 401,
      error: 'invalid_client',
    },
    {
      name: 'no client authentication',
      params: (t) => ({ grant_type: OAUTH_GRANT_JWT_BEARER, assertion: t }),
      status: 401,
      error: 'invalid_client',
      challenge: true,
    },
    {
      name: 'two client authentication methods',
      params: (t) => ({ grant_type: OAUTH_GRANT_JWT_BEARER, assertion: t, client_secret: 'p@ss:word' }),
      headers: auth,
      status: 400,
      error: 'invalid_request',
    },
    {
      name: 'an audience not allowed',
      params: (t) => ({
        grant_type: OAUTH_GRANT_TOKEN_EXCHANGE,
        subject_token: t,
        subject_token_type: JWT,
        audience: 'other',
      }),
      headers: auth,
      status: 400,
      error: 'invalid_target',
    },
    {
      name: 'a resource with a fragment',
      params: (t) => ({
        grant_type: OAUTH_GRANT_TOKEN_EXCHANGE,
        subject_token: t,
        subject_token_type: JWT,
        resource: 'https://api.example#x',
      }),
      headers: auth,
      status: 400,
      error: 'invalid_target',
    },
    {
      name: 'a scope not allowed',
      params: (t) => ({ grant_type: OAUTH_GRANT_JWT_BEARER, assertion: t, scope: 'admin' }),
      headers: auth,
      status: 400,
      error: 'invalid_scope',
    },
  ];
  for (const c of cases) {
    it(`answers ${c.name} with ${c.status} ${c.error}`, async () => {
      const res = await post(as.tokenUrl, c.params(await mint(as, c.claims)), c.headers);
      expect(res.status).toBe(c.status);
      expect(res.json['error']).toBe(c.error);
      if (c.challenge) expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    });
  }

  it('rejects expired subject tokens and tokens signed with a revoked key', async () => {
    const expired = await issuer.mint(
      { sub: 'x', aud: open.tokenUrl },
      { iat: Math.floor(Date.now() / 1000) - 3600, lifetimeSec: 60 },
    );
    const p = (t: string) => ({ grant_type: OAUTH_GRANT_JWT_BEARER, assertion: t });
    expect((await post(open.tokenUrl, p(expired))).json['error']).toBe('invalid_grant');
    const kid = issuer.keys.currentKid;
    const signed = await issuer.mint({ sub: 'x', aud: open.tokenUrl }, { kid });
    await issuer.rotateKeys();
    issuer.revokeKey(kid);
    expect((await post(open.tokenUrl, p(signed))).json['error']).toBe('invalid_grant');
  });

  it('publishes RFC 8414 metadata', async () => {
    const res = await fetch(`${as.url}/.well-known/oauth-authorization-server`);
    expect(await res.json()).toMatchObject({ issuer: as.issuer, token_endpoint: as.tokenUrl });
  });
});
