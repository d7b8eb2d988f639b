import { ConfigError } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { basicAuthorization } from '../shared/oauth.js';
import { parseOptions } from '../shared/test-context.js';
import { oauthTarget } from './index.js';
import { buildOAuthTokenRequest } from './request.js';

const URL_ = 'https://auth.example.com/oauth2/token';
const base = { 'token-url': URL_, audience: 'https://auth.example.com' };

function codes(raw: Record<string, string>): string[] {
  try {
    parseOptions(oauthTarget, raw);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => `${i.input}:${i.code}`);
  }
}

function form(
  raw: Record<string, string>,
  token = 'h.p.s',
): { params: [string, string][]; headers: Record<string, string> } {
  const req = buildOAuthTokenRequest(parseOptions(oauthTarget, { ...base, ...raw }), token);
  return { params: [...new URLSearchParams(String(req.body))], headers: { ...req.headers } };
}

describe('oauth options', () => {
  it('defaults to token exchange for an access token, exported as FEDERATE_OAUTH_TOKEN', () => {
    const o = parseOptions(oauthTarget, base);
    expect(o).toMatchObject({
      grant: 'token-exchange',
      audience: 'https://auth.example.com',
      requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
      subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
      clientAuth: 'none',
      envName: 'FEDERATE_OAUTH_TOKEN',
      output: 'oauth-access-token',
      exportRefreshToken: false,
    });
    expect(oauthTarget.audience(o)).toBe('https://auth.example.com');
  });

  it('defaults client-auth to basic when a secret is given and never describes the secret', () => {
    const o = parseOptions(oauthTarget, { ...base, 'client-id': 'ci', 'client-secret': 'hunter2-hunter2' });
    expect(o.clientAuth).toBe('basic');
    expect(oauthTarget.describe?.(o)).not.toContain('hunter2');
  });

  it.each<[Record<string, string>, string[]]>([
    [{}, ['token-url:ERR_CONFIG_REQUIRED', 'audience:ERR_CONFIG_REQUIRED']],
    [{ 'token-url': URL_ }, ['audience:ERR_CONFIG_REQUIRED']],
    [{ ...base, 'token-url': 'http://auth.example.com/token' }, ['token-url:ERR_CONFIG_INSECURE_URL']],
    [{ ...base, grant: 'password' }, ['grant:ERR_CONFIG_ENUM']],
    [{ ...base, grant: 'jwt-bearer', 'exchange-audience': 'api' }, ['exchange-audience:ERR_CONFIG_INVALID']],
    [{ ...base, resource: 'not a uri' }, ['resource:ERR_CONFIG_URL']],
    [{ ...base, resource: 'https://api.example/#frag' }, ['resource:ERR_CONFIG_URL']],
    [{ ...base, scope: 'read "write"' }, ['scope:ERR_CONFIG_PATTERN']],
    [{ ...base, 'requested-token-type': 'access_token' }, ['requested-token-type:ERR_CONFIG_PATTERN']],
    [{ ...base, 'client-auth': 'basic', 'client-id': 'ci' }, ['client-secret:ERR_CONFIG_REQUIRED']],
    [{ ...base, 'client-auth': 'post', 'client-secret': 's' }, ['client-id:ERR_CONFIG_REQUIRED']],
    [
      { ...base, 'client-auth': 'none', 'client-id': 'ci', 'client-secret': 's' },
      ['client-secret:ERR_CONFIG_EXCLUSIVE'],
    ],
    [
      { ...base, grant: 'client-credentials', 'client-id': 'ci', 'client-secret': 's' },
      ['client-secret:ERR_CONFIG_EXCLUSIVE'],
    ],
    [{ ...base, 'env-name': 'MY-TOKEN' }, ['env-name:ERR_CONFIG_PATTERN']],
    [{ ...base, 'env-name': 'GITHUB_TOKEN' }, ['env-name:ERR_CONFIG_INVALID']],
    [{ ...base, output: 'has space' }, ['output:ERR_CONFIG_PATTERN']],
    [{ ...base, 'export-refresh-token': 'yes' }, ['export-refresh-token:ERR_CONFIG_BOOLEAN']],
  ])('reports %j as %j', (raw, expected) => {
    expect(codes(raw)).toEqual(expected);
  });

  it('allows plain http on loopback', () => {
    expect(
      parseOptions(oauthTarget, { ...base, 'token-url': 'http://127.0.0.1:8080/token' }).tokenUrl.host,
    ).toBe('127.0.0.1:8080');
  });
});

describe('buildOAuthTokenRequest', () => {
  it('builds an RFC 8693 token exchange with repeated audience and resource', () => {
    const { params, headers } = form({
      'exchange-audience': 'api-a\napi-b',
      resource: 'https://r1.example, https://r2.example',
      scope: 'read, write',
    });
    expect(params).toEqual([
      ['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      ['resource', 'https://r1.example'],
      ['resource', 'https://r2.example'],
      ['audience', 'api-a'],
      ['audience', 'api-b'],
      ['scope', 'read write'],
      ['requested_token_type', 'urn:ietf:params:oauth:token-type:access_token'],
      ['subject_token', 'h.p.s'],
      ['subject_token_type', 'urn:ietf:params:oauth:token-type:jwt'],
    ]);
    expect(headers).toEqual({
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    });
  });

  it('builds an RFC 7523 §2.1 JWT bearer grant', () => {
    expect(form({ grant: 'jwt-bearer', scope: 'read' }).params).toEqual([
      ['grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      ['assertion', 'h.p.s'],
      ['scope', 'read'],
    ]);
  });

  it('builds client_credentials with the token as RFC 7523 §2.2 client assertion', () => {
    expect(form({ grant: 'client-credentials', 'client-id': 'ci' }).params).toEqual([
      ['grant_type', 'client_credentials'],
      ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
      ['client_assertion', 'h.p.s'],
      ['client_id', 'ci'],
    ]);
  });

  it.each<[string, Record<string, string>, [string, string][], string | undefined]>([
    [
      'basic',
      { 'client-id': 'c i', 'client-secret': 's:s', 'client-auth': 'basic' },
      [],
      basicAuthorization('c i', 's:s'),
    ],
    [
      'post',
      { 'client-id': 'ci', 'client-secret': 'ss', 'client-auth': 'post' },
      [
        ['client_id', 'ci'],
        ['client_secret', 'ss'],
      ],
      undefined,
    ],
    ['none', { 'client-id': 'ci' }, [['client_id', 'ci']], undefined],
  ])('authenticates the client with %s', (_name, raw, extra, authorization) => {
    const { params, headers } = form({ grant: 'jwt-bearer', ...raw });
    expect(params.slice(2)).toEqual(extra);
    expect(headers['authorization']).toBe(authorization);
  });
});
