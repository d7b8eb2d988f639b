import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../clock.js';
import { type Issuer, startIssuer } from '../issuers/issuer.js';
import { aclPathMatch, goGlobMatch, startVault, type VaultEmulator } from './vault.js';

const clock = fakeClock();
let issuer: Issuer;
let vault: VaultEmulator;

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const res = await fetch(`${vault.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

function mint(claims: Record<string, unknown> = {}) {
  return issuer.mint({
    sub: 'repo:acme/app:ref:refs/heads/main',
    aud: 'vault',
    ref: 'refs/heads/main',
    repository: 'acme/app',
    ...claims,
  });
}

async function login(
  role = 'ci',
  claims: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return call('POST', '/v1/auth/jwt/login', { role, jwt: await mint(claims) }, headers);
}

function tokenOf(r: { json: Record<string, unknown> | undefined }): string {
  const auth = r.json?.['auth'] as Record<string, unknown> | undefined;
  return typeof auth?.['client_token'] === 'string' ? auth['client_token'] : '';
}

beforeAll(async () => {
  issuer = await startIssuer({ clock });
  vault = await startVault({
    trusted: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }],
    clock,
    namespaces: ['team'],
    mounts: {
      jwt: {
        roles: {
          ci: {
            bound_audiences: ['vault'],
            bound_claims: { ref: ['refs/heads/main', 'refs/tags/*'] },
            bound_claims_type: 'glob',
            user_claim: 'sub',
            token_policies: ['read'],
            token_ttl: 60,
          },
          exact: {
            bound_audiences: ['vault'],
            bound_subject: 'repo:acme/other:ref:refs/heads/main',
            user_claim: 'sub',
          },
          noaud: { user_claim: 'sub' },
          email: { bound_audiences: ['vault'], user_claim: 'email' },
          nested: { bound_audiences: ['vault'], bound_claims: { '/ctx/env': 'prod' }, user_claim: 'sub' },
        },
      },
    },
    kv: {
      secret: { version: 2, data: { 'ci/a': { k: 'v' }, 'other/b': { k: 'w' } } },
      kv1: { version: 1, data: { 'x/y': { k: 'one' } } },
    },
    policies: { read: ['secret/data/ci/*', 'kv1/+/y'] },
  });
});
afterAll(async () => {
  await vault.close();
  await issuer.close();
});

describe('vault emulator: login', () => {
  it('answers with the full envelope and a service token', async () => {
    const r = await login();
    expect(r.status).toBe(200);
    expect(Object.keys(r.json ?? {}).sort()).toEqual([
      'auth',
      'data',
      'lease_duration',
      'lease_id',
      'renewable',
      'request_id',
      'warnings',
      'wrap_info',
    ]);
    expect(r.json).toMatchObject({
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
    });
    expect(r.json?.['auth']).toMatchObject({
      client_token: expect.stringMatching(/^hvs\./),
      policies: ['default', 'read'],
      token_policies: ['default', 'read'],
      metadata: { role: 'ci' },
      lease_duration: 60,
      renewable: true,
      token_type: 'service',
      entity_id: expect.any(String),
    });
  });

  it('gives the same entity to the same user', async () => {
    const a = (await login()).json?.['auth'] as Record<string, unknown>;
    const b = (await login()).json?.['auth'] as Record<string, unknown>;
    expect(a['entity_id']).toBe(b['entity_id']);
    expect(a['client_token']).not.toBe(b['client_token']);
  });

  it.each([
    ['missing role', { jwt: 'x' }, 'missing role'],
    ['missing token', { role: 'ci' }, 'missing token'],
    ['unknown role', { role: 'ghost', jwt: 'x' }, 'role "ghost" could not be found'],
    ['garbage token', { role: 'ci', jwt: 'not-a-jwt' }, 'error validating token: malformed JWT'],
  ])('%s', async (_n, body, message) => {
    const r = await call('POST', '/v1/auth/jwt/login', body);
    expect(r).toEqual({ status: 400, json: { errors: [message] } });
  });

  it.each([
    [
      'a wrong audience',
      'ci',
      { aud: 'other' },
      'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
    ],
    [
      'an aud with no bound audiences',
      'noaud',
      {},
      'audience claim found in JWT but no audiences bound to the role',
    ],
    ['a bound_subject mismatch', 'exact', {}, 'error validating token: invalid subject (sub) claim'],
    [
      'a bound claim mismatch',
      'ci',
      { ref: 'refs/heads/dev' },
      'error validating claims: claim "ref" does not match any associated bound claim values',
    ],
    ['a missing bound claim', 'ci', { ref: undefined }, 'error validating claims: claim "ref" is missing'],
    ['a missing user claim', 'email', {}, 'claim "email" not found in token'],
    [
      'a nested claim mismatch',
      'nested',
      { ctx: { env: 'dev' } },
      'error validating claims: claim "/ctx/env" does not match any associated bound claim values',
    ],
    [
      'an untrusted issuer',
      'ci',
      { iss: 'https://evil.example' },
      'error validating token: invalid issuer (iss) claim',
    ],
  ])('rejects %s', async (_n, role, claims, message) => {
    const r = await login(role, claims);
    expect(r).toEqual({ status: 400, json: { errors: [message] } });
  });

  it('accepts glob and nested bound claims', async () => {
    expect((await login('ci', { ref: 'refs/tags/v1.2' })).status).toBe(200);
    expect((await login('nested', { ctx: { env: 'prod' } })).status).toBe(200);
  });

  it('rejects an expired token beyond the 150 s leeway, and a revoked key', async () => {
    const old = await issuer.mint(
      { sub: 's', aud: 'vault', ref: 'refs/heads/main' },
      { iat: Math.floor(clock.now() / 1000) - 600, lifetimeSec: 300 },
    );
    const r = await call('POST', '/v1/auth/jwt/login', { role: 'ci', jwt: old });
    expect(r.json?.['errors']).toEqual([
      'error validating token: invalid expiration time (exp) claim: token is expired',
    ]);
    const token = await mint();
    const kid = issuer.keys.currentKid;
    await issuer.rotateKeys();
    issuer.revokeKey(kid);
    const s = await call('POST', '/v1/auth/jwt/login', { role: 'ci', jwt: token });
    expect(s.status).toBe(400);
    expect(String((s.json?.['errors'] as string[] | undefined)?.[0])).toContain('signature');
  });

  it('404s an unknown mount', async () => {
    const r = await call('POST', '/v1/auth/nope/login', { role: 'ci', jwt: 'x' });
    expect(r.status).toBe(404);
  });
});

describe('vault emulator: tokens and KV', () => {
  it('reads KV v2 and v1 within the policy and denies outside it', async () => {
    const token = tokenOf(await login());
    const h = { 'x-vault-token': token };
    const v2 = await call('GET', '/v1/secret/data/ci/a', undefined, h);
    expect(v2.status).toBe(200);
    expect(v2.json?.['data']).toMatchObject({
      data: { k: 'v' },
      metadata: { version: 1, destroyed: false, deletion_time: '', custom_metadata: null },
    });
    const v1 = await call('GET', '/v1/kv1/x/y', undefined, { authorization: `Bearer ${token}` });
    expect(v1.json).toMatchObject({ data: { k: 'one' }, lease_duration: 2764800 });
    expect(await call('GET', '/v1/secret/data/other/b', undefined, h)).toEqual({
      status: 403,
      json: { errors: ['1 error occurred:\n\t* permission denied\n\n'] },
    });
    expect(await call('GET', '/v1/secret/data/ci/none', undefined, h)).toEqual({
      status: 404,
      json: { errors: [] },
    });
    expect((await call('GET', '/v1/secret/data/ci/a')).status).toBe(403);
  });

  it('bumps the KV v2 version on write', async () => {
    const token = tokenOf(await login());
    vault.setSecret('secret', 'ci/new', { k: 'n' });
    vault.setSecret('secret', 'ci/new', { k: 'n2' });
    const r = await call('GET', '/v1/secret/data/ci/new', undefined, { 'x-vault-token': token });
    expect(r.json?.['data']).toMatchObject({ data: { k: 'n2' }, metadata: { version: 2 } });
  });

  it('looks up, renews and revokes itself; expiry follows the clock', async () => {
    const token = tokenOf(await login());
    const h = { 'x-vault-token': token };
    const look = await call('GET', '/v1/auth/token/lookup-self', undefined, h);
    expect(look.json?.['data']).toMatchObject({
      id: token,
      policies: ['default', 'read'],
      path: 'auth/jwt/login',
      meta: { role: 'ci' },
      num_uses: 0,
      type: 'service',
      ttl: 60,
    });
    clock.advance(50_000);
    const renew = await call('POST', '/v1/auth/token/renew-self', {}, h);
    expect(renew.json?.['auth']).toMatchObject({ client_token: token, lease_duration: 60 });
    clock.advance(50_000);
    expect(vault.tokens().map((t) => t.id)).toContain(token);
    expect((await call('POST', '/v1/auth/token/revoke-self', undefined, h)).status).toBe(204);
    expect(vault.tokens().map((t) => t.id)).not.toContain(token);
    expect(await call('GET', '/v1/auth/token/lookup-self', undefined, h)).toEqual({
      status: 403,
      json: { errors: ['permission denied'] },
    });
    const other = tokenOf(await login());
    clock.advance(61_000);
    expect(vault.tokens().map((t) => t.id)).not.toContain(other);
    expect(vault.allTokens().find((t) => t.id === other)?.revoked).toBe(false);
  });

  it('binds tokens to their namespace (header or path prefix)', async () => {
    const r = await login('ci', {}, { 'x-vault-namespace': 'team' });
    const token = tokenOf(r);
    expect(vault.tokens().find((t) => t.id === token)?.namespace).toBe('team');
    expect(
      (await call('GET', '/v1/team/auth/token/lookup-self', undefined, { 'x-vault-token': token })).status,
    ).toBe(200);
    expect(
      (await call('GET', '/v1/auth/token/lookup-self', undefined, { 'x-vault-token': token })).status,
    ).toBe(403);
    expect((await login('ci', {}, { 'x-vault-namespace': 'nope' })).status).toBe(404);
  });

  it('seals, records requests and injects faults', async () => {
    vault.seal();
    expect(await call('POST', '/v1/auth/jwt/login', {})).toEqual({
      status: 503,
      json: { errors: ['Vault is sealed'] },
    });
    expect((await call('GET', '/v1/sys/health')).json).toMatchObject({ sealed: true });
    vault.unseal();
    const before = vault.count('/v1/auth/jwt/login');
    vault.faults.add({
      kind: 'status',
      status: 500,
      path: '/v1/auth/jwt/login',
      body: '{"errors":["internal"]}',
    });
    expect((await login()).status).toBe(500);
    expect((await login()).status).toBe(200);
    expect(vault.count('/v1/auth/jwt/login') - before).toBe(2);
  });
});

describe('vault emulator: matching rules', () => {
  it.each([
    ['*', 'anything', true],
    ['refs/tags/*', 'refs/tags/v1', true],
    ['refs/*/main', 'refs/heads/main', true],
    ['refs/?eads/main', 'refs/heads/main', false],
    ['a*b*c', 'a-b-c', true],
    ['a*b*c', 'a-c', false],
    ['exact', 'exact', true],
  ])('goGlobMatch(%j, %j) = %s', (p, v, ok) => {
    expect(goGlobMatch(p, v)).toBe(ok);
  });

  it.each([
    ['secret/data/ci/*', 'secret/data/ci/a/b', true],
    ['secret/data/ci/*', 'secret/data/other', false],
    ['secret/data/ci*', 'secret/data/cicd', true],
    ['kv/+/y', 'kv/x/y', true],
    ['kv/+/y', 'kv/x/z/y', false],
    ['kv/x', 'kv/x', true],
    ['kv/x', 'kv/x/y', false],
  ])('aclPathMatch(%j, %j) = %s', (p, v, ok) => {
    expect(aclPathMatch(p, v)).toBe(ok);
  });
});
