import { ExchangeError, FederateError } from '@federate/core';
import { type Issuer, startIssuer, verifyJwt } from '@federate/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Entra, startEntra } from '../../../testkit/src/servers/entra.js';
import { parseOptions, testContext } from '../shared/test-context.js';
import { azureTarget } from './index.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const BARE = 'aaaaaaaa-bbbb-cccc-dddd-ffffffffffff';
const SUB = 'repo:octo/app:environment:prod';
const AUD = 'api://AzureADTokenExchange';

describe('azureTarget against the Entra emulator', () => {
  let issuer: Issuer;
  let stranger: Issuer;
  let entra: Entra;

  beforeAll(async () => {
    issuer = await startIssuer();
    stranger = await startIssuer();
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
    });
  });
  afterAll(async () => {
    await entra.close();
    await issuer.close();
    await stranger.close();
  });
  beforeEach(() => entra.faults.clear());

  const options = (raw: Record<string, string> = {}) =>
    parseOptions(azureTarget, {
      'client-id': CLIENT,
      'tenant-id': TENANT,
      'authority-host': entra.url,
      'subscription-id': '99999999-2222-3333-4444-555555555555',
      ...raw,
    });

  async function failure(p: Promise<unknown>): Promise<FederateError> {
    try {
      await p;
    } catch (e) {
      if (e instanceof FederateError) return e;
      throw e;
    }
    throw new Error('expected the exchange to fail');
  }

  it('gets an Entra access token and the AZURE_* federation variables', async () => {
    const token = await issuer.mint({ sub: SUB, aud: AUD });
    const ctx = testContext({ token });
    const creds = await azureTarget.exchange(ctx, options());
    expect(ctx.tokensFetched).toBe(1);
    const at = creds.values.find((v) => v.output === 'azure-access-token');
    expect(at?.secret).toBe(true);
    const verified = await verifyJwt(at?.value ?? '', {
      trusted: [{ issuer: entra.issuerFor(TENANT) }],
      audience: 'https://management.azure.com',
    });
    expect(verified.ok).toBe(true);
    expect(Object.fromEntries(creds.values.filter((v) => v.env).map((v) => [v.env, v.value]))).toEqual({
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
      AZURE_AUTHORITY_HOST: entra.url,
      AZURE_SUBSCRIPTION_ID: '99999999-2222-3333-4444-555555555555',
    });
    expect(creds.files[0]?.content).toBe(token);
    const form = entra.requests.filter((r) => r.method === 'POST').at(-1)?.form;
    expect(form?.get('client_assertion')).toBe(token);
    expect(form?.get('scope')).toBe('https://management.azure.com/.default');
  });

  const cases: Array<{
    name: string;
    raw?: Record<string, string>;
    claims?: Record<string, unknown>;
    by?: 'stranger';
    serverCode: string;
  }> = [
    { name: 'no federated credential on the app', raw: { 'client-id': BARE }, serverCode: 'AADSTS70021' },
    {
      name: 'a subject mismatch',
      claims: { sub: 'repo:octo/app:ref:refs/heads/main' },
      serverCode: 'AADSTS700213',
    },
    { name: 'an audience mismatch', claims: { aud: 'sts.amazonaws.com' }, serverCode: 'AADSTS700212' },
    { name: 'an issuer mismatch', by: 'stranger', serverCode: 'AADSTS700211' },
    {
      name: 'an unknown app',
      raw: { 'client-id': '00000000-0000-0000-0000-000000000000' },
      serverCode: 'AADSTS700016',
    },
    {
      name: 'an unknown tenant',
      raw: { 'tenant-id': 'fabrikam.onmicrosoft.com' },
      serverCode: 'AADSTS90002',
    },
  ];
  for (const c of cases) {
    it(`maps ${c.name} to ${c.serverCode} with a hint`, async () => {
      const token = await (c.by === 'stranger' ? stranger : issuer).mint({ sub: SUB, aud: AUD, ...c.claims });
      const ctx = testContext({ token });
      const e = await failure(azureTarget.exchange(ctx, options(c.raw)));
      expect(e).toBeInstanceOf(ExchangeError);
      expect(e).toMatchObject({ code: 'ERR_EXCHANGE_REJECTED', serverCode: c.serverCode, status: 400 });
      expect((e as ExchangeError).requestId).toBeTruthy();
      expect(e.hint).toBeTruthy();
      expect(`${e.message} ${e.hint}`).not.toContain(token);
      expect(ctx.lines.join('\n')).not.toContain(token);
    });
  }

  it('shows the token claims to put in the federated credential for AADSTS70021', async () => {
    const token = await issuer.mint({ sub: SUB, aud: AUD });
    const e = await failure(azureTarget.exchange(testContext({ token }), options({ 'client-id': BARE })));
    expect(e.hint).toContain(issuer.issuer);
    expect(e.hint).toContain(SUB);
    expect(e.hint).toContain(AUD);
  });

  it('maps an expired token to AADSTS700024 and a revoked signing key to AADSTS700027', async () => {
    const expired = await issuer.mint(
      { sub: SUB, aud: AUD },
      { iat: Math.floor(Date.now() / 1000) - 7200, lifetimeSec: 300 },
    );
    expect(await failure(azureTarget.exchange(testContext({ token: expired }), options()))).toMatchObject({
      serverCode: 'AADSTS700024',
    });
    const local = await startIssuer();
    try {
      const revokedEntra = await startEntra({
        https: false,
        tenants: {
          [TENANT]: {
            apps: {
              [CLIENT]: { federatedCredentials: [{ issuer: local.issuer, subject: SUB, audiences: [AUD] }] },
            },
          },
        },
      });
      try {
        const kid = local.keys.currentKid;
        const token = await local.mint({ sub: SUB, aud: AUD }, { kid });
        await local.rotateKeys();
        local.revokeKey(kid);
        const e = await failure(
          azureTarget.exchange(testContext({ token }), options({ 'authority-host': revokedEntra.url })),
        );
        expect(e).toMatchObject({ serverCode: 'AADSTS700027', status: 401 });
      } finally {
        await revokedEntra.close();
      }
    } finally {
      await local.close();
    }
  });

  it('retries throttling and succeeds, counting every attempt', async () => {
    entra.faults.add({ kind: 'status', status: 429, times: 2, headers: { 'retry-after': '0' } });
    const before = entra.count('/');
    const creds = await azureTarget.exchange(
      testContext({ token: await issuer.mint({ sub: SUB, aud: AUD }) }),
      options(),
    );
    expect(creds.values.some((v) => v.output === 'azure-access-token')).toBe(true);
    expect(entra.count('/') - before).toBe(3);
  });

  it.each<[string, Parameters<Entra['faults']['add']>[0], string]>([
    [
      'a persistent 503',
      { kind: 'status', status: 503, times: Number.POSITIVE_INFINITY },
      'ERR_EXCHANGE_SERVER',
    ],
    ['a connection reset', { kind: 'reset', times: Number.POSITIVE_INFINITY }, 'ERR_HTTP_NETWORK'],
    ['a truncated body', { kind: 'malformed' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
    ['an HTML page', { kind: 'content-type', contentType: 'text/html' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
  ])('fails on %s with %s', async (_name, fault, code) => {
    entra.faults.add(fault);
    const token = await issuer.mint({ sub: SUB, aud: AUD });
    const ctx = testContext({ token, maxAttempts: 2 });
    const e = await failure(azureTarget.exchange(ctx, options()));
    expect(e.code).toBe(code);
    expect(`${e.message} ${e.hint ?? ''}`).not.toContain(token);
  });
});
