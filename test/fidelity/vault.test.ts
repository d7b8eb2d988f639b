// vault.test.ts: node-vault, a client written independently of Federate, against the Vault emulator:
// if it logs in, reads KV v2 and looks its token up the way it does against a real Vault, and sees the
// same values our vault target exports, the emulator's envelopes are faithful enough to test against.
import { createRequire } from 'node:module';
import { parseOptions, testContext } from '../../packages/targets/src/shared/test-context.js';
import { vaultTarget } from '../../packages/targets/src/vault/index.js';
import { type GitHubIssuer, startGitHubIssuer } from '../../packages/testkit/src/issuers/github.js';
import { startVault, type VaultEmulator } from '../../packages/testkit/src/servers/vault.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Body is a Vault JSON answer as node-vault returns it; `at` walks into it. */
type Body = Record<string, unknown>;
function at(body: unknown, ...keys: string[]): unknown {
  let cur = body;
  for (const k of keys) cur = cur !== null && typeof cur === 'object' ? (cur as Body)[k] : undefined;
  return cur;
}

interface NodeVaultClient {
  token: string | undefined;
  write(path: string, data: unknown): Promise<Body>;
  read(path: string): Promise<Body>;
  tokenLookupSelf(): Promise<Body>;
  tokenRenewSelf(): Promise<Body>;
  tokenRevokeSelf(): Promise<unknown>;
  jwtLogin(opts: { role: string; jwt: string; mount_point?: string }): Promise<Body>;
}
const require = createRequire(import.meta.url);
const nodeVault = require('node-vault') as (opts: Record<string, unknown>) => NodeVaultClient;

const MULTILINE = 'first line of the secret\nsecond line of the secret';
let gh: GitHubIssuer;
let vault: VaultEmulator;

beforeAll(async () => {
  gh = await startGitHubIssuer({ claims: { repository: 'acme/app', repository_owner: 'acme' } });
  vault = await startVault({
    trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }],
    namespaces: ['team'],
    mounts: {
      jwt: {
        roles: {
          ci: {
            bound_audiences: ['vault'],
            bound_claims: { repository: 'acme/app' },
            user_claim: 'sub',
            token_policies: ['ci'],
            token_ttl: 600,
          },
        },
      },
    },
    kv: {
      secret: {
        version: 2,
        data: { 'ci/db': { user: 'app', password: 'fidelity-password', note: MULTILINE } },
      },
    },
    policies: { ci: ['secret/data/ci/*'] },
  });
});
afterAll(async () => {
  await vault.close();
  await gh.close();
});

describe('node-vault against the Vault emulator', () => {
  it('logs in with auth/jwt/login, reads KV v2 and looks the token up', async () => {
    const client = nodeVault({ endpoint: vault.url });
    const login = await client.write('auth/jwt/login', { role: 'ci', jwt: await gh.mintFor('vault') });
    expect(at(login, 'auth', 'client_token')).toMatch(/^hvs\./);
    expect(at(login, 'auth', 'policies')).toEqual(['ci', 'default']);
    client.token = String(at(login, 'auth', 'client_token'));

    const secret = await client.read('secret/data/ci/db');
    expect(at(secret, 'data', 'data')).toEqual({
      user: 'app',
      password: 'fidelity-password',
      note: MULTILINE,
    });
    expect(at(secret, 'data', 'metadata', 'version')).toBe(1);

    const self = await client.tokenLookupSelf();
    expect(at(self, 'data')).toMatchObject({
      id: client.token,
      policies: ['ci', 'default'],
      path: 'auth/jwt/login',
      meta: { role: 'ci' },
    });
    expect(at(self, 'data', 'ttl')).toBeGreaterThan(0);

    const renewed = await client.tokenRenewSelf();
    expect(at(renewed, 'auth', 'client_token')).toBe(client.token);
    await client.tokenRevokeSelf();
    expect(vault.tokens().map((t) => t.id)).not.toContain(client.token);
  });

  it('uses the jwtLogin command and surfaces Vault errors the way it does for a real Vault', async () => {
    const client = nodeVault({ endpoint: vault.url });
    const ok = await client.jwtLogin({ role: 'ci', jwt: await gh.mintFor('vault') });
    expect(client.token).toBe(at(ok, 'auth', 'client_token'));
    await expect(client.jwtLogin({ role: 'ci', jwt: await gh.mintFor('elsewhere') })).rejects.toMatchObject({
      message: expect.stringContaining('invalid audience (aud) claim'),
      response: { statusCode: 400 },
    });
    await expect(client.read('secret/data/ci/missing')).rejects.toMatchObject({
      response: { statusCode: 404 },
    });
  });

  it('sends its namespace as our target does, and the emulator binds the token to it', async () => {
    const client = nodeVault({ endpoint: vault.url, namespace: 'team' });
    const login = await client.write('auth/jwt/login', { role: 'ci', jwt: await gh.mintFor('vault') });
    client.token = String(at(login, 'auth', 'client_token'));
    expect(at(await client.read('secret/data/ci/db'), 'data', 'data', 'user')).toBe('app');
    const root = nodeVault({ endpoint: vault.url, token: client.token });
    await expect(root.tokenLookupSelf()).rejects.toMatchObject({ response: { statusCode: 403 } });
  });

  it('agrees with what the vault target exports', async () => {
    const ctx = testContext({ token: await gh.mintFor('vault') });
    const options = parseOptions(vaultTarget, {
      url: vault.url,
      role: 'ci',
      secrets: 'secret/data/ci/db | DB_',
    });
    const creds = await vaultTarget.exchange(ctx, options);
    const exported = Object.fromEntries(creds.values.map((v) => [v.env, v.value]));

    const client = nodeVault({ endpoint: vault.url, token: exported['VAULT_TOKEN'] });
    const secret = await client.read('secret/data/ci/db');
    expect({
      DB_USER: exported['DB_USER'],
      DB_PASSWORD: exported['DB_PASSWORD'],
      DB_NOTE: exported['DB_NOTE'],
    }).toEqual({
      DB_USER: at(secret, 'data', 'data', 'user'),
      DB_PASSWORD: at(secret, 'data', 'data', 'password'),
      DB_NOTE: at(secret, 'data', 'data', 'note'),
    });
    const self = await client.tokenLookupSelf();
    expect(creds.expiresAt?.getTime()).toBeGreaterThan(
      Date.now() + (Number(at(self, 'data', 'ttl')) - 5) * 1000,
    );
    for (const line of MULTILINE.split('\n')) expect(ctx.secrets.redact(line)).toBe('***');

    await vaultTarget.revoke?.(ctx, creds.revoke[0]!);
    await expect(client.tokenLookupSelf()).rejects.toMatchObject({ response: { statusCode: 403 } });
  });
});
