import { type ExchangeError, FederateError } from '@federate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubIssuer, startGitHubIssuer } from '../../../testkit/src/issuers/github.js';
import { type OctoStsEmulator, startOctoSts } from '../../../testkit/src/servers/octo-sts.js';
import { parseOptions, testContext } from '../shared/test-context.js';
import { octoStsTarget } from './index.js';

let gh: GitHubIssuer;
let sts: OctoStsEmulator;

beforeAll(async () => {
  gh = await startGitHubIssuer({
    claims: { repository: 'acme/app', repository_owner: 'acme', ref: 'refs/heads/main' },
  });
  sts = await startOctoSts({
    trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }],
    domain: 'octo.test',
    policies: {
      'acme/app': {
        deploy: {
          issuer: gh.issuer,
          subject: 'repo:acme/app:ref:refs/heads/main',
          permissions: { contents: 'read' },
        },
        release: {
          issuer: gh.issuer,
          subject_pattern: 'repo:acme/app:.*',
          claim_pattern: { ref: 'refs/tags/v.*' },
          permissions: { contents: 'write' },
        },
      },
      acme: {
        org: {
          issuer_pattern: '.*',
          subject_pattern: 'repo:acme/.*',
          permissions: { issues: 'write' },
          repositories: ['infra'],
        },
      },
    },
  });
});
afterAll(async () => {
  await sts.close();
  await gh.close();
});
afterEach(() => {
  sts.faults.clear();
});

function opts(extra: Record<string, string> = {}) {
  return parseOptions(octoStsTarget, {
    scope: 'acme/app',
    identity: 'deploy',
    domain: 'octo.test',
    url: sts.url,
    'github-api-url': sts.githubApiUrl,
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<ExchangeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FederateError);
    return e as ExchangeError;
  }
  throw new Error('expected the exchange to fail');
}

async function repoStatus(token: string, repo: string): Promise<number> {
  const r = await fetch(`${sts.githubApiUrl}/repos/${repo}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return r.status;
}

describe('octo-sts exchange', () => {
  it('exchanges, exports GH_TOKEN, and revokes at cleanup', async () => {
    const options = opts();
    const ctx = testContext({ token: await gh.mintFor(octoStsTarget.audience(options)) });
    const creds = await octoStsTarget.exchange(ctx, options);
    const [value] = creds.values;
    expect(value).toMatchObject({ env: 'GH_TOKEN', output: 'octo-sts-token', secret: true });
    const token = value?.value ?? '';
    expect(token).toMatch(/^ghs_/);
    expect(ctx.secrets.redact(token)).toBe('***');
    expect(ctx.lines.join('\n')).not.toContain(token);
    expect(creds.principal).toBe('acme/app as deploy');
    expect(sts.requests.at(-1)?.header('authorization')).toMatch(/^Bearer ey/);

    expect(await repoStatus(token, 'acme/app')).toBe(200);
    expect(await repoStatus(token, 'acme/other')).toBe(404);
    expect(sts.tokens().map((t) => t.token)).toContain(token);

    await octoStsTarget.revoke?.(ctx, creds.revoke[0]!);
    expect(sts.tokens().map((t) => t.token)).not.toContain(token);
    expect(await repoStatus(token, 'acme/app')).toBe(401);
    // Already revoked: GitHub answers 401, which cleanup accepts.
    await octoStsTarget.revoke?.(ctx, creds.revoke[0]!);
  });

  it('uses an org-level policy limited to its repositories', async () => {
    const options = opts({ scope: 'acme', identity: 'org', 'env-name': 'ORG_TOKEN', revoke: 'false' });
    const creds = await octoStsTarget.exchange(
      testContext({ token: await gh.mintFor('octo.test') }),
      options,
    );
    expect(creds.revoke).toEqual([]);
    const token = creds.values[0]?.value ?? '';
    expect(creds.values[0]?.env).toBe('ORG_TOKEN');
    expect(await repoStatus(token, 'acme/infra')).toBe(200);
    expect(await repoStatus(token, 'acme/app')).toBe(404);
  });

  it.each([
    ['an unknown identity', { identity: 'ghost' }, 'octo.test', 'ERR_EXCHANGE_REJECTED', 'NotFound', 404],
    [
      'a claim_pattern mismatch',
      { identity: 'release' },
      'octo.test',
      'ERR_EXCHANGE_REJECTED',
      'PermissionDenied',
      403,
    ],
    ['a wrong audience', {}, 'octo-sts.dev', 'ERR_EXCHANGE_REJECTED', 'PermissionDenied', 403],
  ])('maps %s', async (_n, extra, aud, code, serverCode, status) => {
    const err = await failure(
      octoStsTarget.exchange(testContext({ token: await gh.mintFor(aud) }), opts(extra)),
    );
    expect(err).toMatchObject({ code, serverCode, status });
    expect(err.hint).toBeTruthy();
  });

  it('maps an expired token and a revoked key to Unauthenticated', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await gh.mint(
      { ...gh.claims, sub: 'repo:acme/app:ref:refs/heads/main', aud: 'octo.test' },
      { iat: now - 3600, lifetimeSec: 60 },
    );
    expect(await failure(octoStsTarget.exchange(testContext({ token: expired }), opts()))).toMatchObject({
      serverCode: 'Unauthenticated',
      status: 401,
    });
    const token = await gh.mintFor('octo.test');
    const kid = gh.keys.currentKid;
    await gh.rotateKeys();
    gh.revokeKey(kid);
    expect(await failure(octoStsTarget.exchange(testContext({ token }), opts()))).toMatchObject({
      serverCode: 'Unauthenticated',
    });
  });

  it('retries throttling and then succeeds', async () => {
    const before = sts.count('/sts/exchange');
    sts.faults.add({
      kind: 'status',
      status: 429,
      times: 2,
      body: '{"code":8,"message":"rate limited","details":[]}',
      headers: { 'content-type': 'application/json', 'retry-after': '0' },
    });
    const creds = await octoStsTarget.exchange(
      testContext({ token: await gh.mintFor('octo.test'), maxAttempts: 3 }),
      opts(),
    );
    expect(creds.values[0]?.value).toMatch(/^ghs_/);
    expect(sts.count('/sts/exchange') - before).toBe(3);
  });

  it.each([
    [
      'persistent 5xx',
      { kind: 'status', status: 503, times: Number.POSITIVE_INFINITY },
      'ERR_EXCHANGE_SERVER',
    ],
    ['a connection reset', { kind: 'reset', times: Number.POSITIVE_INFINITY }, 'ERR_HTTP_NETWORK'],
    ['a truncated body', { kind: 'malformed' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
    ['an HTML page', { kind: 'content-type', contentType: 'text/html' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
  ] as const)('maps %s', async (_n, fault, code) => {
    sts.faults.add(fault);
    const err = await failure(
      octoStsTarget.exchange(testContext({ token: await gh.mintFor('octo.test'), maxAttempts: 2 }), opts()),
    );
    expect(err.code).toBe(code);
  });

  it('reports a failed revocation', async () => {
    sts.github.faults.add({ kind: 'status', status: 403, path: '/installation/token' });
    const ctx = testContext({ token: await gh.mintFor('octo.test') });
    const creds = await octoStsTarget.exchange(ctx, opts());
    const err = await failure(octoStsTarget.revoke!(ctx, creds.revoke[0]!));
    expect(err.code).toBe('ERR_EXCHANGE_REJECTED');
    expect(err.message).not.toContain(creds.values[0]?.value ?? '');
  });
});
