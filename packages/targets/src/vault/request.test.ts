import { describe, expect, it } from 'vitest';
import {
  loginRequest,
  readRequest,
  resolveSecretPath,
  retryableVault,
  revokeSelfRequest,
} from './request.js';

const ep = { url: new URL('https://vault.example.com:8200'), namespace: undefined };
const nsEp = { url: new URL('https://vault.example.com/prefix/'), namespace: 'admin/team' };

describe('vault request builders', () => {
  it('builds the JWT login', () => {
    const req = loginRequest(ep, 'ci/github', 'deploy', 'jwt.value.sig');
    expect(String(req.url)).toBe('https://vault.example.com:8200/v1/auth/ci/github/login');
    expect(req.method).toBe('POST');
    expect(JSON.parse(String(req.body))).toEqual({ role: 'deploy', jwt: 'jwt.value.sig' });
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', 'x-vault-request': 'true' });
    expect(req.headers).not.toHaveProperty('x-vault-namespace');
    expect(req.what).not.toContain('jwt.value.sig');
  });

  it('sends the namespace and keeps a base path', () => {
    const req = loginRequest(nsEp, 'jwt', 'r', 't');
    expect(String(req.url)).toBe('https://vault.example.com/prefix/v1/auth/jwt/login');
    expect(req.headers).toMatchObject({ 'x-vault-namespace': 'admin/team' });
    expect(readRequest(nsEp, 'hvs.x', 'secret/data/a').headers).toMatchObject({
      'x-vault-namespace': 'admin/team',
      'x-vault-token': 'hvs.x',
    });
  });

  it('reads with the token and encodes odd segments', () => {
    const req = readRequest(ep, 'hvs.tok', 'secret/data/ci/a b');
    expect(String(req.url)).toBe('https://vault.example.com:8200/v1/secret/data/ci/a%20b');
    expect(req.method).toBe('GET');
    expect(req.body).toBeUndefined();
    expect(req.what).not.toContain('hvs.tok');
  });

  it('revokes itself', () => {
    const req = revokeSelfRequest(ep, 'hvs.tok');
    expect(String(req.url)).toBe('https://vault.example.com:8200/v1/auth/token/revoke-self');
    expect(req.method).toBe('POST');
    expect(req.headers).toMatchObject({ 'x-vault-token': 'hvs.tok' });
  });

  it.each([
    [412, true],
    [400, false],
    [503, false], // the core retries 5xx on its own
  ])('marks HTTP %i retryable: %s', (status, retry) => {
    expect(retryableVault({ status, headers: new Headers(), text: '', attempts: 1 })).toBe(retry);
  });
});

describe('resolveSecretPath', () => {
  it.each([
    ['secret/data/ci/aws', 'auto', 'secret/data/ci/aws', 2],
    ['kv/ci/aws', 'auto', 'kv/ci/aws', 1],
    ['data/ci/aws', 'auto', 'data/ci/aws', 1],
    ['secret/ci/aws', '2', 'secret/data/ci/aws', 2],
    ['secret/data/ci/aws', '2', 'secret/data/ci/aws', 2],
    ['secret/data/ci/aws', '1', 'secret/data/ci/aws', 1],
  ] as const)('%s with kv-version %s reads %s (v%i)', (path, version, apiPath, v) => {
    expect(resolveSecretPath(path, version)).toEqual({ apiPath, version: v });
  });
});
