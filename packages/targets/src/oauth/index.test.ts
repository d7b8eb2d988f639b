import { ExchangeError, FederateError, formatError } from '@federate/core';
import { type Issuer, startIssuer, verifyJwt } from '@federate/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OAuthServer, startOAuthServer } from '../../../testkit/src/servers/oauth.js';
import { parseOptions, testContext } from '../shared/test-context.js';
import { oauthTarget } from './index.js';

const SECRET = 'client-secret-9f8e7d6c';

async function failure(p: Promise<unknown>): Promise<FederateError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FederateError) return e;
    throw e;
  }
  throw new Error('expected the exchange to fail');
}

describe('oauthTarget against the OAuth emulator', () => {
  let issuer: Issuer;
  let as: OAuthServer;
  let open: OAuthServer;

  beforeAll(async () => {
    issuer = await startIssuer();
    as = await startOAuthServer({
      trusted: [{ issuer: issuer.issuer }],
      clients: { ci: SECRET },
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
  beforeEach(() => {
    as.faults.clear();
    open.faults.clear();
  });

  const mint = (
    s: OAuthServer,
    claims: Record<string, unknown> = {},
    lifetime?: { iat: number; lifetimeSec: number },
  ) =>
    issuer.mint(
      { sub: 'repo:o/r:ref:refs/heads/main', aud: s.tokenUrl, ref: 'refs/heads/main', ...claims },
      lifetime,
    );
  const opts = (s: OAuthServer, raw: Record<string, string> = {}) =>
    parseOptions(oauthTarget, { 'token-url': s.tokenUrl, audience: s.tokenUrl, ...raw });
  const withClient = { 'client-id': 'ci', 'client-secret': SECRET };

  it('exchanges the token (RFC 8693) with Basic client auth and exports it', async () => {
    const token = await mint(as);
    const ctx = testContext({ token });
    const creds = await oauthTarget.exchange(
      ctx,
      opts(as, { ...withClient, 'exchange-audience': 'api', scope: 'read', 'env-name': 'API_TOKEN' }),
    );
    const at = creds.values.find((v) => v.name === 'accessToken');
    expect(at).toMatchObject({ secret: true, env: 'API_TOKEN', output: 'oauth-access-token' });
    const v = await verifyJwt(at?.value ?? '', {
      trusted: [{ issuer: as.issuer, jwksUri: as.jwksUri }],
      audience: 'api',
    });
    expect(v.ok).toBe(true);
    expect(creds.values.find((x) => x.output === 'oauth-issued-token-type')?.value).toBe(
      'urn:ietf:params:oauth:token-type:access_token',
    );
    expect(creds.principal).toBe('ci');
    expect(
      as.requests
        .filter((r) => r.path === '/token')
        .at(-1)
        ?.header('authorization'),
    ).toMatch(/^Basic /);
    expect(ctx.secrets.redact(SECRET)).not.toContain(SECRET);
  });

  it('exchanges with the jwt-bearer grant and client_secret_post', async () => {
    const creds = await oauthTarget.exchange(
      testContext({ token: await mint(as) }),
      opts(as, { ...withClient, 'client-auth': 'post', grant: 'jwt-bearer' }),
    );
    expect(creds.values.some((v) => v.name === 'accessToken')).toBe(true);
    expect(as.issued.at(-1)?.grant).toBe('jwt-bearer');
    expect(as.requests.at(-1)?.form?.get('client_secret')).toBe(SECRET);
  });

  it('authenticates with the token as client assertion (client-credentials)', async () => {
    await oauthTarget.exchange(
      testContext({ token: await mint(as) }),
      opts(as, { grant: 'client-credentials', scope: 'read' }),
    );
    expect(as.issued.at(-1)?.grant).toBe('client-credentials');
  });

  it('tolerates a server that omits issued_token_type, noting it in the debug log', async () => {
    const ctx = testContext({ token: await mint(open) });
    const creds = await oauthTarget.exchange(ctx, opts(open));
    expect(creds.values.some((v) => v.name === 'accessToken')).toBe(true);
    expect(ctx.lines.some((l) => l.includes('issued_token_type'))).toBe(true);
  });

  it('keeps a refresh token secret and unexported unless export-refresh-token is set', async () => {
    const ctx = testContext({ token: await mint(as) });
    const creds = await oauthTarget.exchange(ctx, opts(as, withClient));
    const refresh = as.issued.at(-1)?.refreshToken ?? '';
    expect(refresh).not.toBe('');
    expect(creds.values.some((v) => v.value === refresh)).toBe(false);
    expect(ctx.secrets.redact(refresh)).not.toContain(refresh);
    const asked = await oauthTarget.exchange(
      testContext({ token: await mint(as) }),
      opts(as, { ...withClient, 'export-refresh-token': 'true' }),
    );
    expect(asked.values.find((v) => v.output === 'oauth-refresh-token')).toMatchObject({
      value: as.issued.at(-1)?.refreshToken,
      secret: true,
    });
  });

  const cases: Array<{
    name: string;
    raw: Record<string, string>;
    claims?: Record<string, unknown>;
    status: number;
    serverCode: string;
  }> = [
    {
      name: 'a rejected grant assertion',
      raw: { ...withClient, grant: 'jwt-bearer' },
      claims: { aud: 'elsewhere' },
      status: 400,
      serverCode: 'invalid_grant',
    },
    {
      name: 'a wrong client secret',
      raw: { 'client-id': 'ci', 'client-secret': 'wrong-secret-123' },
      status: 401,
      serverCode: 'invalid_client',
    },
    {
      name: 'a rejected client assertion',
      raw: { grant: 'client-credentials' },
      claims: { aud: 'elsewhere' },
      status: 401,
      serverCode: 'invalid_client',
    },
    {
      name: 'a rejected subject token',
      raw: withClient,
      claims: { ref: 'refs/heads/dev' },
      status: 400,
      serverCode: 'invalid_request',
    },
    {
      name: 'a target not allowed',
      raw: { ...withClient, 'exchange-audience': 'billing' },
      status: 400,
      serverCode: 'invalid_target',
    },
    {
      name: 'a scope not allowed',
      raw: { ...withClient, scope: 'admin' },
      status: 400,
      serverCode: 'invalid_scope',
    },
  ];
  for (const c of cases) {
    it(`maps ${c.name} to ${c.serverCode}`, async () => {
      const token = await mint(as, c.claims);
      const ctx = testContext({ token });
      const e = await failure(oauthTarget.exchange(ctx, opts(as, c.raw)));
      expect(e).toBeInstanceOf(ExchangeError);
      expect(e).toMatchObject({ code: 'ERR_EXCHANGE_REJECTED', serverCode: c.serverCode, status: c.status });
      expect(e.hint).toBeTruthy();
      const everything = `${e.message} ${e.hint} ${ctx.lines.join(' ')}`;
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(SECRET);
    });
  }

  it('maps unauthorized_client and a 401 challenge without a body', async () => {
    as.faults.add({
      kind: 'status',
      status: 400,
      body: '{"error":"unauthorized_client"}',
      headers: { 'content-type': 'application/json' },
    });
    const e1 = await failure(
      oauthTarget.exchange(testContext({ token: await mint(as) }), opts(as, withClient)),
    );
    expect(e1).toMatchObject({ serverCode: 'unauthorized_client', status: 400 });
    as.faults.add({
      kind: 'status',
      status: 401,
      body: '',
      headers: { 'www-authenticate': 'Basic realm="x", error="invalid_client"' },
    });
    const e2 = await failure(
      oauthTarget.exchange(testContext({ token: await mint(as) }), opts(as, withClient)),
    );
    expect(e2).toMatchObject({ serverCode: 'invalid_client', status: 401 });
  });

  it('redacts a client secret a server echoes back', async () => {
    as.faults.add({
      kind: 'status',
      status: 401,
      body: JSON.stringify({ error: 'invalid_client', error_description: `secret ${SECRET} is wrong` }),
      headers: { 'content-type': 'application/json' },
    });
    const ctx = testContext({ token: await mint(as) });
    const e = await failure(oauthTarget.exchange(ctx, opts(as, withClient)));
    expect(e.code).toBe('ERR_EXCHANGE_REJECTED');
    // The target logs nothing of it; what users see (the run scrubs the error, formatError prints it) holds none.
    expect(ctx.lines.join(' ')).not.toContain(SECRET);
    expect(formatError(e, ctx.secrets)).not.toContain(SECRET);
  });

  it('rejects an expired token and one signed with a revoked key', async () => {
    const expired = await mint(open, {}, { iat: Math.floor(Date.now() / 1000) - 7200, lifetimeSec: 60 });
    const e1 = await failure(
      oauthTarget.exchange(testContext({ token: expired }), opts(open, { grant: 'jwt-bearer' })),
    );
    expect(e1).toMatchObject({ serverCode: 'invalid_grant' });
    const local = await startIssuer();
    const server = await startOAuthServer({ trusted: [{ issuer: local.issuer }] });
    try {
      const kid = local.keys.currentKid;
      const token = await local.mint({ sub: 's', aud: server.tokenUrl }, { kid });
      await local.rotateKeys();
      local.revokeKey(kid);
      const e2 = await failure(
        oauthTarget.exchange(testContext({ token }), opts(server, { grant: 'jwt-bearer' })),
      );
      expect(e2).toMatchObject({ serverCode: 'invalid_grant' });
    } finally {
      await server.close();
      await local.close();
    }
  });

  it('retries throttling and then succeeds, counting every attempt', async () => {
    open.faults.add({ kind: 'status', status: 429, times: 2, headers: { 'retry-after': '0' } });
    const before = open.count('/token');
    await oauthTarget.exchange(testContext({ token: await mint(open) }), opts(open));
    expect(open.count('/token') - before).toBe(3);
  });

  it.each<[string, Parameters<OAuthServer['faults']['add']>[0], string]>([
    [
      'a persistent 502',
      { kind: 'status', status: 502, times: Number.POSITIVE_INFINITY },
      'ERR_EXCHANGE_SERVER',
    ],
    ['a connection reset', { kind: 'reset', times: Number.POSITIVE_INFINITY }, 'ERR_HTTP_NETWORK'],
    ['a truncated body', { kind: 'malformed' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
    [
      'an HTML page',
      { kind: 'content-type', contentType: 'text/html; charset=utf-8' },
      'ERR_EXCHANGE_BAD_RESPONSE',
    ],
  ])('fails on %s with %s', async (_n, fault, code) => {
    open.faults.add(fault);
    const token = await mint(open);
    const e = await failure(oauthTarget.exchange(testContext({ token, maxAttempts: 2 }), opts(open)));
    expect(e.code).toBe(code);
    expect(`${e.message} ${e.hint ?? ''}`).not.toContain(token);
  });
});
