import { FederateError, formatError } from '@federate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PingOneEmulator, startPingOne } from '../../../testkit/src/servers/pingone.js';
import { createKeyStore } from '../../../testkit/src/keys.js';
import { parseOptions, testContext } from '../shared/test-context.js';
import { pingOnePrivilegeTarget } from './index.js';

const KEY = 'p1-api-key-deploy-0123456789';
const PLATFORM = createKeyStore();
let p1: PingOneEmulator;

beforeAll(async () => {
  p1 = await startPingOne({
    tenants: ['acme'],
    workloads: [
      {
        tenant: 'acme',
        namespace: 'ci',
        name: 'deploy',
        apiKey: KEY,
        aws: { accountIds: ['123456789012'] },
        policy: {},
      },
      {
        tenant: 'acme',
        namespace: 'ci',
        name: 'multi',
        apiKey: 'p1-api-key-multi-000',
        aws: { accountIds: ['123456789012'] },
        gcp: { projectIds: ['acme-prod'] },
        azure: { scope: 'https://management.azure.com' },
        policy: {},
      },
      { tenant: 'acme', namespace: 'ci', name: 'unentitled', apiKey: 'p1-api-key-none-000' },
    ],
  });
});
afterAll(async () => {
  await p1.close();
});
afterEach(() => {
  p1.faults.clear();
});

async function platformToken(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return PLATFORM.sign({ iss: 'https://ci.example', sub: 'ci', aud: p1.url, iat: now, exp: now + 300 });
}

function opts(extra: Record<string, string> = {}) {
  return parseOptions(pingOnePrivilegeTarget, {
    'base-url': p1.url,
    tenant: 'acme',
    namespace: 'ci',
    workload: 'deploy',
    'api-key': KEY,
    ...extra,
  });
}

async function failure(
  p: Promise<unknown>,
): Promise<FederateError & { serverCode?: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FederateError);
    return e as FederateError;
  }
  throw new Error('expected the exchange to fail');
}

describe('pingone-privilege exchange', () => {
  it('fetches the token with the API key, exports the AWS credentials, and never logs a secret', async () => {
    const ctx = testContext({ token: await platformToken() });
    const creds = await pingOnePrivilegeTarget.exchange(ctx, opts());
    const issued = p1.issued().at(-1);
    const env = Object.fromEntries(creds.values.filter((v) => v.env).map((v) => [v.env, v.value]));
    expect(env).toEqual({
      AWS_ACCESS_KEY_ID: issued?.aws?.accessKeyId,
      AWS_SECRET_ACCESS_KEY: issued?.aws?.secretAccessKey,
      AWS_SESSION_TOKEN: issued?.aws?.sessionToken,
    });
    expect(creds.values.every((v) => v.secret)).toBe(true);
    expect(creds.values.find((v) => v.name === 'token')).toMatchObject({
      value: issued?.token,
      output: 'token',
    });
    expect(creds.values.find((v) => v.env === 'AWS_SESSION_TOKEN')?.output).toBe('aws-session-token');
    expect(creds.expiresAt?.getTime()).toBe(issued?.expiresAt);
    expect(creds.principal).toBe('acme/ci/deploy');
    expect(creds.notes.join(' ')).toMatch(/60 minutes/);

    const req = p1.requests.at(-1);
    expect(req?.method).toBe('GET');
    expect(req?.path).toBe(p1.tokenPath('acme', 'ci', 'deploy'));
    expect(req?.header('authorization')).toBe(`Bearer ${KEY}`);
    // The documented call carries no platform token, so none was fetched or sent.
    expect(ctx.tokensFetched).toBe(0);
    expect(JSON.stringify(req?.headers)).not.toMatch(/eyJ/);

    const log = ctx.lines.join('\n');
    for (const v of [KEY, ...creds.values.map((x) => x.value)]) {
      expect(ctx.secrets.redact(v)).toBe('***');
      expect(log).not.toContain(v);
    }
  });

  it('exports GCP and Azure tokens too, and verifies the signature with jwks-url', async () => {
    const ctx = testContext({ token: await platformToken() });
    const creds = await pingOnePrivilegeTarget.exchange(
      ctx,
      opts({ workload: 'multi', 'api-key': 'p1-api-key-multi-000', 'jwks-url': p1.jwksUrl }),
    );
    const issued = p1.issued().at(-1);
    const env = Object.fromEntries(creds.values.filter((v) => v.env).map((v) => [v.env, v.value]));
    expect(env).toMatchObject({
      CLOUDSDK_AUTH_ACCESS_TOKEN: issued?.gcp?.accessToken,
      GOOGLE_OAUTH_ACCESS_TOKEN: issued?.gcp?.accessToken,
      AZURE_ACCESS_TOKEN: issued?.azure?.accessToken,
    });
    expect(creds.notes.join(' ')).not.toMatch(/without verifying/);
  });

  it('rejects a token whose signature does not verify', async () => {
    const err = await failure(
      pingOnePrivilegeTarget.exchange(
        testContext({ token: await platformToken() }),
        opts({ 'jwks-url': `${p1.url}/nowhere` }),
      ),
    );
    expect(err.code).toBe('ERR_EXCHANGE_BAD_RESPONSE');
    const forged = await startPingOne({
      tenants: ['acme'],
      workloads: [
        { tenant: 'acme', namespace: 'ci', name: 'deploy', apiKey: KEY, aws: { accountIds: [] }, policy: {} },
      ],
    });
    try {
      // A token from another key than the one jwks-url publishes.
      const err2 = await failure(
        pingOnePrivilegeTarget.exchange(
          testContext({ token: await platformToken() }),
          parseOptions(pingOnePrivilegeTarget, {
            'base-url': forged.url,
            tenant: 'acme',
            namespace: 'ci',
            workload: 'deploy',
            'api-key': KEY,
            'jwks-url': p1.jwksUrl,
          }),
        ),
      );
      expect(err2).toMatchObject({ code: 'ERR_EXCHANGE_BAD_RESPONSE', serverCode: 'InvalidSignature' });
    } finally {
      await forged.close();
    }
  });

  it('sends the platform token only under the header the user names', async () => {
    const jwt = await platformToken();
    const ctx = testContext({ token: jwt });
    await pingOnePrivilegeTarget.exchange(
      ctx,
      opts({ 'send-platform-token': 'header', 'platform-token-header': 'X-Workload-Jwt' }),
    );
    expect(ctx.tokensFetched).toBe(1);
    expect(p1.requests.at(-1)?.header('x-workload-jwt')).toBe(jwt);
  });

  it('renews at once a token already inside renew-before, and warns when it stays short', async () => {
    const short = await startPingOne({
      tenants: ['acme'],
      workloads: [
        { tenant: 'acme', namespace: 'ci', name: 'deploy', apiKey: KEY, aws: { accountIds: [] }, policy: {} },
      ],
      tokenLifetimeSec: 120,
      bare: true,
    });
    try {
      const ctx = testContext({ token: await platformToken() });
      const creds = await pingOnePrivilegeTarget.exchange(ctx, opts({ 'base-url': short.url }));
      expect(short.count('/pubapi/')).toBe(2);
      expect(creds.values.find((v) => v.name === 'token')?.value).toBe(short.issued().at(-1)?.token);
      expect(ctx.lines.join('\n')).toMatch(/renew-before/);
      const ctx2 = testContext({ token: await platformToken() });
      await pingOnePrivilegeTarget.exchange(ctx2, opts({ 'base-url': short.url, 'renew-before': '1m' }));
      expect(short.count('/pubapi/')).toBe(3);
    } finally {
      await short.close();
    }
  });

  it('reports a token that is already expired', async () => {
    const ctx = testContext({ token: await platformToken(), now: () => Date.now() + 2 * 3600_000 });
    const err = await failure(pingOnePrivilegeTarget.exchange(ctx, opts()));
    expect(err).toMatchObject({ code: 'ERR_EXCHANGE_BAD_RESPONSE', serverCode: 'TokenExpired' });
  });

  it.each([
    ['a wrong API key', { 'api-key': 'p1-wrong-key-000000' }, 'ERR_EXCHANGE_REJECTED', 'UNAUTHORIZED', 401],
    ['an unknown tenant', { tenant: 'globex' }, 'ERR_EXCHANGE_REJECTED', 'TENANT_NOT_FOUND', 404],
    ['an unknown workload', { workload: 'ghost' }, 'ERR_EXCHANGE_REJECTED', 'WORKLOAD_NOT_FOUND', 404],
    [
      'no workload policy',
      { workload: 'unentitled', 'api-key': 'p1-api-key-none-000' },
      'ERR_EXCHANGE_POLICY',
      'NO_POLICY',
      403,
    ],
  ])('maps %s', async (_n, extra, code, serverCode, status) => {
    const o = opts(extra);
    const ctx = testContext({ token: await platformToken() });
    const err = await failure(pingOnePrivilegeTarget.exchange(ctx, o));
    expect(err).toMatchObject({ code, serverCode, status });
    expect(err.hint).toBeTruthy();
    expect(err.message).not.toContain(o.apiKey);
    expect(err.hint).not.toContain(o.apiKey);
  });

  it('redacts an API key a server echoes in its error', async () => {
    p1.faults.add({
      kind: 'status',
      status: 401,
      body: JSON.stringify({ code: 'UNAUTHORIZED', message: `key ${KEY} is revoked` }),
      headers: { 'content-type': 'application/json' },
    });
    const ctx = testContext({ token: await platformToken() });
    const err = await failure(pingOnePrivilegeTarget.exchange(ctx, opts()));
    // Registered before the request, so what users see (formatError; the run scrubs the error too) holds none.
    expect(ctx.secrets.redact(KEY)).toBe('***');
    expect(formatError(err, ctx.secrets)).not.toContain(KEY);
  });

  it('retries throttling and then succeeds', async () => {
    const before = p1.count('/pubapi/');
    p1.faults.add({ kind: 'status', status: 429, times: 2, headers: { 'retry-after': '0' } });
    const creds = await pingOnePrivilegeTarget.exchange(
      testContext({ token: await platformToken(), maxAttempts: 3 }),
      opts(),
    );
    expect(creds.values.length).toBeGreaterThan(0);
    expect(p1.count('/pubapi/') - before).toBe(3);
  });

  it.each([
    [
      'persistent throttling',
      { kind: 'status', status: 429, times: Number.POSITIVE_INFINITY },
      'ERR_EXCHANGE_THROTTLED',
    ],
    [
      'persistent 5xx',
      { kind: 'status', status: 503, times: Number.POSITIVE_INFINITY },
      'ERR_EXCHANGE_SERVER',
    ],
    ['a connection reset', { kind: 'reset', times: Number.POSITIVE_INFINITY }, 'ERR_HTTP_NETWORK'],
    ['a truncated body', { kind: 'malformed' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
    ['an HTML page', { kind: 'content-type', contentType: 'text/html' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
  ] as const)('maps %s', async (_n, fault, code) => {
    p1.faults.add(fault);
    const err = await failure(
      pingOnePrivilegeTarget.exchange(testContext({ token: await platformToken(), maxAttempts: 2 }), opts()),
    );
    expect(err.code).toBe(code);
  });

  it('fails with a mapping the token does not satisfy, naming fields but no values', async () => {
    const err = await failure(
      pingOnePrivilegeTarget.exchange(
        testContext({ token: await platformToken() }),
        opts({ mapping: '{"AWS_ACCESS_KEY_ID":"credentials.accessKeyId"}' }),
      ),
    );
    expect(err.code).toBe('ERR_EXCHANGE_BAD_RESPONSE');
    expect(err.hint).toMatch(/aws/);
    const issued = p1.issued().at(-1);
    expect(`${err.message} ${err.hint}`).not.toContain(issued?.aws?.secretAccessKey ?? 'x');
  });
});
