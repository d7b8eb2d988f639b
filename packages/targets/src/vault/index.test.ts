import { type ExchangeError, FederateError } from '@federate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubIssuer, startGitHubIssuer } from '../../../testkit/src/issuers/github.js';
import { startVault, type VaultEmulator } from '../../../testkit/src/servers/vault.js';
import { parseOptions, testContext } from '../shared/test-context.js';
import { vaultTarget } from './index.js';

const PEM = '-----BEGIN KEY-----\nline-one-of-the-key\nline-two-of-the-key\n-----END KEY-----\n';

let gh: GitHubIssuer;
let vault: VaultEmulator;

beforeAll(async () => {
  gh = await startGitHubIssuer({
    claims: { repository: 'acme/app', repository_owner: 'acme', ref: 'refs/heads/main' },
  });
  vault = await startVault({
    trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }],
    mounts: {
      jwt: {
        roles: {
          ci: {
            bound_audiences: ['vault'],
            bound_claims: { repository: 'acme/*' },
            bound_claims_type: 'glob',
            user_claim: 'sub',
            token_policies: ['ci-read'],
            token_ttl: 900,
          },
          main: {
            bound_audiences: ['vault'],
            bound_claims: { ref: 'refs/heads/release' },
            user_claim: 'sub',
            token_policies: ['ci-read'],
          },
          other: { bound_audiences: ['vault'], user_claim: 'sub', token_policies: ['nothing'] },
          batch: {
            bound_audiences: ['vault'],
            user_claim: 'sub',
            token_policies: ['ci-read'],
            token_type: 'batch',
          },
        },
      },
    },
    kv: {
      secret: {
        version: 2,
        data: {
          'ci/aws': { accessKey: 'AKIAEXAMPLEKEY', secretKey: 'wJalrXUtnFEMI/K7MDENG' },
          'ci/app': { 'db-password': 'hunter2-db-pass', tls_key: PEM, port: 5432 },
          'ci/hostile': { PATH: '/evil/bin' },
        },
      },
      kv: { version: 1, data: { 'ci/legacy': { token: 'legacy-token-value' } } },
    },
    policies: { 'ci-read': ['secret/data/ci/*', 'kv/ci/+'] },
  });
});
afterAll(async () => {
  await vault.close();
  await gh.close();
});
afterEach(() => {
  vault.faults.clear();
  vault.unseal();
});

function opts(extra: Record<string, string> = {}) {
  return parseOptions(vaultTarget, { url: vault.url, role: 'ci', ...extra });
}

async function ctxFor(
  aud = 'vault',
  extra: Parameters<typeof testContext>[0] extends infer T ? Partial<T> : never = {},
) {
  return testContext({ token: await gh.mintFor(aud), maxAttempts: 3, ...extra });
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

describe('vault exchange', () => {
  it('logs in, reads KV v2 and v1 secrets, masks every line, and revokes at cleanup', async () => {
    const ctx = await ctxFor();
    const options = opts({
      secrets: [
        'secret/data/ci/aws accessKey | AWS_KEY ; secret/data/ci/aws secretKey | aws-secret',
        'secret/data/ci/app | APP_',
        'kv/ci/legacy token | LEGACY',
      ].join('\n'),
    });
    const creds = await vaultTarget.exchange(ctx, options);
    const byEnv = Object.fromEntries(creds.values.map((v) => [v.env, v]));
    const token = byEnv['VAULT_TOKEN']?.value ?? '';
    expect(token).toMatch(/^hvs\./);
    expect(byEnv['VAULT_TOKEN']).toMatchObject({ secret: true, output: 'vault-token' });
    expect(byEnv['VAULT_ADDR']).toMatchObject({ value: vault.url, secret: false });
    expect(byEnv['VAULT_NAMESPACE']).toBeUndefined();
    expect(byEnv['AWS_KEY']).toMatchObject({ value: 'AKIAEXAMPLEKEY', secret: true, output: 'AWS_KEY' });
    expect(byEnv['aws_secret']).toMatchObject({ value: 'wJalrXUtnFEMI/K7MDENG', output: 'aws-secret' });
    expect(byEnv['APP_DB_PASSWORD']?.value).toBe('hunter2-db-pass');
    expect(byEnv['APP_TLS_KEY']?.value).toBe(PEM);
    expect(byEnv['APP_PORT']?.value).toBe('5432');
    expect(byEnv['LEGACY']?.value).toBe('legacy-token-value');
    expect(creds.values.filter((v) => v.env !== 'VAULT_ADDR').every((v) => v.secret)).toBe(true);
    expect(creds.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 800_000);
    expect(creds.principal).toContain('role ci');

    // Registered with the redactor the moment they were read, each line of a multi-line value too.
    for (const text of [
      token,
      'hunter2-db-pass',
      'line-one-of-the-key',
      'line-two-of-the-key',
      'legacy-token-value',
    ])
      expect(ctx.secrets.redact(`x ${text} y`)).toBe('x *** y');
    expect(ctx.lines.join('\n')).not.toMatch(/hunter2|AKIAEXAMPLEKEY|hvs\./);

    // One read per distinct path, sent with the token.
    expect(vault.count('/v1/secret/data/ci/aws')).toBe(1);
    expect(vault.requests.at(-1)?.header('x-vault-token')).toBe(token);

    expect(creds.revoke).toEqual([
      { target: 'vault', data: { url: `${vault.url}/`, token }, secretKeys: ['token'] },
    ]);
    expect(vault.tokens().map((t) => t.id)).toContain(token);
    await vaultTarget.revoke?.(ctx, creds.revoke[0]!);
    expect(vault.tokens().map((t) => t.id)).not.toContain(token);
    // Revoking again (cleanup re-run) is fine: the token is already invalid.
    await vaultTarget.revoke?.(ctx, creds.revoke[0]!);
  });

  it('revokes at once when the token is not exported', async () => {
    const before = vault.tokens().length;
    const creds = await vaultTarget.exchange(
      await ctxFor(),
      opts({ secrets: 'secret/data/ci/aws accessKey | AWS_KEY', 'export-token': 'false' }),
    );
    expect(creds.values.map((v) => v.env)).toEqual(['AWS_KEY']);
    expect(creds.revoke).toEqual([]);
    expect(vault.tokens()).toHaveLength(before);
    expect(vault.count('/v1/auth/token/revoke-self')).toBeGreaterThan(0);
  });

  it('keeps the token and records nothing when revoke is false', async () => {
    const creds = await vaultTarget.exchange(await ctxFor(), opts({ revoke: 'false' }));
    expect(creds.revoke).toEqual([]);
    const token = creds.values.find((v) => v.env === 'VAULT_TOKEN')?.value;
    expect(vault.tokens().map((t) => t.id)).toContain(token);
  });

  it('does not try to revoke a batch token', async () => {
    const creds = await vaultTarget.exchange(await ctxFor(), opts({ role: 'batch' }));
    expect(creds.values.find((v) => v.env === 'VAULT_TOKEN')?.value).toMatch(/^hvb\./);
    expect(creds.revoke).toEqual([]);
    expect(creds.notes.join(' ')).toContain('batch');
  });

  it('names the path and key of a missing key, not values, and revokes the token', async () => {
    const before = vault.tokens().length;
    const ctx = await ctxFor();
    const err = await failure(vaultTarget.exchange(ctx, opts({ secrets: 'secret/data/ci/aws nope | NOPE' })));
    expect(err.code).toBe('ERR_EXCHANGE_FAILED');
    expect(err.message).toContain('secret/data/ci/aws');
    expect(err.message).toContain('nope');
    expect(`${err.message} ${err.hint}`).not.toContain('AKIAEXAMPLEKEY');
    expect(vault.tokens()).toHaveLength(before);
  });

  it('refuses a whole-secret key that would set a dangerous variable', async () => {
    const err = await failure(
      vaultTarget.exchange(await ctxFor(), opts({ secrets: 'secret/data/ci/hostile *' })),
    );
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).not.toContain('/evil/bin');
  });

  it.each([
    [
      'a path the policies do not grant',
      { role: 'other', secrets: 'secret/data/ci/aws accessKey | K' },
      'ERR_EXCHANGE_POLICY',
      'permission_denied',
    ],
    ['a missing secret', { secrets: 'secret/data/ci/none k | K' }, 'ERR_EXCHANGE_REJECTED', 'not_found'],
    ['an unmounted engine', { secrets: 'nomount/data/x k | K' }, 'ERR_EXCHANGE_REJECTED', 'no_route'],
    ['an unknown role', { role: 'ghost' }, 'ERR_EXCHANGE_REJECTED', 'role_not_found'],
    ['a bound claim mismatch', { role: 'main' }, 'ERR_EXCHANGE_REJECTED', 'bound_claims'],
    ['a wrong auth mount', { path: 'gitlab' }, 'ERR_EXCHANGE_REJECTED', 'no_route'],
  ])('maps %s', async (_name, extra, code, kind) => {
    const err = await failure(vaultTarget.exchange(await ctxFor(), opts(extra)));
    expect(err.code).toBe(code);
    expect(err.serverCode).toBe(kind);
    expect(err.hint).toBeTruthy();
  });

  it('maps a wrong audience', async () => {
    const err = await failure(vaultTarget.exchange(await ctxFor('https://github.com/acme'), opts()));
    expect(err).toMatchObject({ code: 'ERR_EXCHANGE_REJECTED', serverCode: 'invalid_audience', status: 400 });
  });

  it('maps an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await gh.mint(
      { ...gh.claims, sub: 'repo:acme/app:ref:refs/heads/main', aud: 'vault' },
      { iat: now - 3600, lifetimeSec: 300 },
    );
    const err = await failure(vaultTarget.exchange(testContext({ token }), opts()));
    expect(err).toMatchObject({ code: 'ERR_EXCHANGE_REJECTED', serverCode: 'expired' });
  });

  it('maps a token signed with a revoked key', async () => {
    const token = await gh.mintFor('vault');
    const kid = gh.keys.currentKid;
    await gh.rotateKeys();
    gh.revokeKey(kid);
    const err = await failure(vaultTarget.exchange(testContext({ token }), opts()));
    expect(err).toMatchObject({ code: 'ERR_EXCHANGE_REJECTED', serverCode: 'invalid_signature' });
  });

  it('retries throttling and then succeeds', async () => {
    const before = vault.count('/v1/auth/jwt/login');
    vault.faults.add({
      kind: 'status',
      status: 429,
      times: 2,
      path: '/v1/auth/jwt/login',
      body: '{"errors":["request path \\"auth/jwt/login\\": rate limit quota exceeded"]}',
      headers: { 'content-type': 'application/json', 'retry-after': '0' },
    });
    const creds = await vaultTarget.exchange(await ctxFor(), opts());
    expect(creds.values.some((v) => v.env === 'VAULT_TOKEN')).toBe(true);
    expect(vault.count('/v1/auth/jwt/login') - before).toBe(3);
  });

  it('retries a performance standby 412', async () => {
    vault.faults.add({ kind: 'status', status: 412, times: 1, path: '/v1/secret/' });
    const creds = await vaultTarget.exchange(
      await ctxFor(),
      opts({ secrets: 'secret/data/ci/aws accessKey | K' }),
    );
    expect(creds.values.find((v) => v.env === 'K')?.value).toBe('AKIAEXAMPLEKEY');
  });

  it('reports throttling that does not stop', async () => {
    vault.faults.add({
      kind: 'status',
      status: 429,
      times: Number.POSITIVE_INFINITY,
      path: '/v1/auth/jwt/login',
      body: '{"errors":["rate limit quota exceeded"]}',
      headers: { 'retry-after': '0' },
    });
    const err = await failure(vaultTarget.exchange(await ctxFor(), opts()));
    expect(err.code).toBe('ERR_EXCHANGE_THROTTLED');
  });

  it.each([
    [
      'persistent 5xx',
      { kind: 'status', status: 502, times: Number.POSITIVE_INFINITY },
      'ERR_EXCHANGE_SERVER',
    ],
    ['a connection reset', { kind: 'reset', times: Number.POSITIVE_INFINITY }, 'ERR_HTTP_NETWORK'],
    ['a truncated body', { kind: 'malformed' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
    ['an HTML page', { kind: 'content-type', contentType: 'text/html' }, 'ERR_EXCHANGE_BAD_RESPONSE'],
  ] as const)('maps %s', async (_name, fault, code) => {
    vault.faults.add({ ...fault, path: '/v1/auth/jwt/login' });
    const err = await failure(vaultTarget.exchange(await ctxFor(), opts()));
    expect(err.code).toBe(code);
  });

  it('maps a sealed Vault', async () => {
    vault.seal();
    const err = await failure(vaultTarget.exchange(await ctxFor(), opts()));
    expect(err).toMatchObject({ code: 'ERR_EXCHANGE_SERVER', serverCode: 'sealed' });
  });

  it('never puts the platform token in an error', async () => {
    const ctx = await ctxFor('wrong');
    const jwt = await ctx.token();
    const err = await failure(vaultTarget.exchange(ctx, opts()));
    expect(`${err.message} ${err.hint} ${String(err.cause)}`).not.toContain(jwt);
  });
});

describe('vault namespaces', () => {
  let nsVault: VaultEmulator;
  beforeAll(async () => {
    nsVault = await startVault({
      trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }],
      namespaces: ['admin'],
      mounts: {
        jwt: { roles: { ci: { bound_audiences: ['vault'], user_claim: 'sub', token_policies: ['r'] } } },
      },
      kv: { secret: { version: 2, data: { 'a/b': { k: 'namespaced-value' } } } },
      policies: { r: ['secret/data/*'] },
    });
  });
  afterAll(() => nsVault.close());

  it('sends the namespace on login, reads and revocation', async () => {
    const ctx = await ctxFor();
    const options = parseOptions(
      vaultTarget,
      { url: nsVault.url, role: 'ci', secrets: 'secret/data/a/b k | K' },
      { VAULT_NAMESPACE: 'admin' },
    );
    const creds = await vaultTarget.exchange(ctx, options);
    expect(creds.values.find((v) => v.env === 'VAULT_NAMESPACE')?.value).toBe('admin');
    expect(creds.values.find((v) => v.env === 'K')?.value).toBe('namespaced-value');
    expect(nsVault.tokens()[0]?.namespace).toBe('admin');
    expect(nsVault.requests.every((r) => r.header('x-vault-namespace') === 'admin')).toBe(true);
    await vaultTarget.revoke?.(ctx, creds.revoke[0]!);
    expect(nsVault.tokens()).toEqual([]);
  });
});
