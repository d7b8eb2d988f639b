import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issuer, startIssuer } from '../issuers/issuer.js';
import { checkPolicy, type OctoStsEmulator, startOctoSts } from './octo-sts.js';

let issuer: Issuer;
let sts: OctoStsEmulator;

beforeAll(async () => {
  issuer = await startIssuer();
  sts = await startOctoSts({
    trusted: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }],
    policies: {
      'acme/app': {
        deploy: {
          issuer: issuer.issuer,
          subject: 'repo:acme/app:ref:refs/heads/main',
          permissions: { contents: 'read' },
        },
      },
    },
  });
});
afterAll(async () => {
  await sts.close();
  await issuer.close();
});

async function exchange(query: string, headers: Record<string, string> = {}, init: RequestInit = {}) {
  const res = await fetch(`${sts.url}/sts/exchange${query}`, { headers, ...init });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const good = () => issuer.mint({ sub: 'repo:acme/app:ref:refs/heads/main', aud: 'octo-sts.dev' });

describe('octo-sts emulator', () => {
  it('mints a token on GET and POST', async () => {
    const auth = { authorization: `Bearer ${await good()}` };
    const a = await exchange('?scope=acme/app&identity=deploy', auth);
    expect(a.status).toBe(200);
    expect(a.json['token']).toMatch(/^ghs_/);
    const b = await exchange(
      '',
      { ...auth, 'content-type': 'application/json' },
      {
        method: 'POST',
        body: JSON.stringify({ scope: 'acme/app', identity: 'deploy' }),
      },
    );
    expect(b.json['token']).toMatch(/^ghs_/);
    expect(sts.tokens().find((t) => t.token === a.json['token'])).toMatchObject({
      scope: 'acme/app',
      permissions: { contents: 'read' },
      repositories: ['acme/app'],
    });
  });

  it.each([
    [
      'no authorization',
      '?scope=acme/app&identity=deploy',
      false,
      401,
      16,
      'expected exactly one authorization header',
    ],
    ['no scope', '?identity=deploy', true, 400, 3, 'scope must be provided'],
    ['no identity', '?scope=acme/app', true, 400, 3, 'identity must be provided'],
    [
      'several scopes',
      '?scope=acme/app&scopes=acme/app,acme/b&identity=deploy',
      true,
      400,
      3,
      'multiple scopes not supported',
    ],
    [
      'an unknown policy',
      '?scope=acme/app&identity=nope',
      true,
      404,
      5,
      'unable to find trust policy for "nope"',
    ],
  ])('answers %s in grpc-gateway shape', async (_n, query, withAuth, status, code, message) => {
    const r = await exchange(query, withAuth ? { authorization: `Bearer ${await good()}` } : {});
    expect(r).toEqual({ status, json: { code, message, details: [] } });
  });

  it('rejects an untrusted or broken token', async () => {
    const other = await startIssuer();
    try {
      const t = await other.mint({ sub: 'x', aud: 'octo-sts.dev' });
      expect(
        (await exchange('?scope=acme/app&identity=deploy', { authorization: `Bearer ${t}` })).status,
      ).toBe(400);
    } finally {
      await other.close();
    }
    const bad = `${(await good()).slice(0, -4)}AAAA`;
    expect(
      (await exchange('?scope=acme/app&identity=deploy', { authorization: `Bearer ${bad}` })).json['code'],
    ).toBe(16);
  });

  it('checks the policy like trust_policy.go', () => {
    const base = { issuer: 'https://i', subject: 's', permissions: {} };
    const claims = { iss: 'https://i', sub: 's', aud: ['octo-sts.dev'], ref: 'refs/heads/main', pr: true };
    expect(checkPolicy(base, claims, 'octo-sts.dev')).toBeUndefined();
    expect(checkPolicy(base, { ...claims, aud: 'x' }, 'octo-sts.dev')).toMatch(/audience/);
    expect(checkPolicy({ ...base, audience: 'x' }, { ...claims, aud: 'x' }, 'octo-sts.dev')).toBeUndefined();
    expect(checkPolicy({ ...base, subject: 'other' }, claims, 'octo-sts.dev')).toMatch(/subject/);
    expect(
      checkPolicy({ issuer: 'https://i', subject_pattern: 's|t', permissions: {} }, claims, 'octo-sts.dev'),
    ).toBeUndefined();
    expect(
      checkPolicy({ issuer: 'https://i', subject_pattern: 's.+', permissions: {} }, claims, 'octo-sts.dev'),
    ).toMatch(/subject_pattern/);
    expect(
      checkPolicy({ ...base, claim_pattern: { ref: 'refs/heads/.*', pr: 'true' } }, claims, 'octo-sts.dev'),
    ).toBeUndefined();
    expect(checkPolicy({ ...base, claim_pattern: { ref: 'main' } }, claims, 'octo-sts.dev')).toMatch(
      /claim "ref"/,
    );
    expect(checkPolicy({ ...base, claim_pattern: { env: '.*' } }, claims, 'octo-sts.dev')).toMatch(
      /not found/,
    );
  });

  it('lets the GitHub stub use and revoke the token', async () => {
    const token = (
      await exchange('?scope=acme/app&identity=deploy', { authorization: `Bearer ${await good()}` })
    ).json['token'] as string;
    const gh = (path: string, method = 'GET') =>
      fetch(`${sts.githubApiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    expect((await gh('/repos/acme/app')).status).toBe(200);
    expect((await gh('/repos/acme/other')).status).toBe(404);
    expect((await gh('/installation/token', 'DELETE')).status).toBe(204);
    expect(sts.tokens().map((t) => t.token)).not.toContain(token);
    expect((await gh('/installation/token', 'DELETE')).status).toBe(401);
    expect((await gh('/repos/acme/app')).status).toBe(401);
  });
});
