import type { HttpResponse } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { octoStsTarget } from './index.js';
import { exchangeRequest, revokeRequest } from './request.js';
import { exchangeError, parseExchange } from './response.js';

function res(status: number, body: unknown, type = 'application/json'): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': type }),
    text: typeof body === 'string' ? body : JSON.stringify(body),
    attempts: 1,
  };
}

describe('octo-sts options', () => {
  it('defaults to octo-sts.dev, api.github.com and GH_TOKEN', () => {
    const o = parseOptions(octoStsTarget, { scope: 'acme/app', identity: 'deploy' });
    expect(o).toMatchObject({
      scope: 'acme/app',
      identity: 'deploy',
      domain: 'octo-sts.dev',
      envName: 'GH_TOKEN',
      revoke: true,
    });
    expect(o.url.href).toBe('https://octo-sts.dev/');
    expect(o.githubApiUrl.href).toBe('https://api.github.com/');
    expect(octoStsTarget.audience(o)).toBe('octo-sts.dev');
  });

  it.each([
    [
      { scope: 'acme', identity: 'x', domain: 'sts.acme.dev' },
      {},
      'sts.acme.dev',
      'https://sts.acme.dev/',
      'https://api.github.com/',
    ],
    [
      { scope: 'acme', identity: 'x', url: 'http://127.0.0.1:9000' },
      {},
      '127.0.0.1:9000',
      'http://127.0.0.1:9000/',
      'https://api.github.com/',
    ],
    [
      { scope: 'acme', identity: 'x', domain: 'octo.acme.dev', url: 'http://127.0.0.1:9000' },
      {},
      'octo.acme.dev',
      'http://127.0.0.1:9000/',
      'https://api.github.com/',
    ],
    [
      { scope: 'acme', identity: 'x' },
      { GITHUB_API_URL: 'https://ghe.acme.com/api/v3' },
      'octo-sts.dev',
      'https://octo-sts.dev/',
      'https://ghe.acme.com/api/v3',
    ],
    [
      { scope: 'acme', identity: 'x', 'github-api-url': 'https://ghe.acme.com/api/v3' },
      { GITHUB_API_URL: 'https://x.example' },
      'octo-sts.dev',
      'https://octo-sts.dev/',
      'https://ghe.acme.com/api/v3',
    ],
  ])('%j with env %j', (raw, env, audience, url, api) => {
    const o = parseOptions(octoStsTarget, raw, env);
    expect(octoStsTarget.audience(o)).toBe(audience);
    expect(o.url.href).toBe(url);
    expect(o.githubApiUrl.href).toBe(api);
  });

  it.each([
    [{ identity: 'x' }, 'ERR_CONFIG_REQUIRED'],
    [{ scope: 'acme/app' }, 'ERR_CONFIG_REQUIRED'],
    [{ scope: 'acme/app/extra', identity: 'x' }, 'ERR_CONFIG_PATTERN'],
    [{ scope: 'acme/a,acme/b', identity: 'x' }, 'ERR_CONFIG_PATTERN'],
    [{ scope: 'acme/..', identity: 'x' }, 'ERR_CONFIG_PATTERN'],
    [{ scope: 'acme', identity: '../x' }, 'ERR_CONFIG_PATTERN'],
    [{ scope: 'acme', identity: 'x', domain: 'https://octo-sts.dev' }, 'ERR_CONFIG_PATTERN'],
    [{ scope: 'acme', identity: 'x', url: 'http://octo.example' }, 'ERR_CONFIG_INSECURE_URL'],
    [{ scope: 'acme', identity: 'x', 'github-api-url': 'http://ghe.example' }, 'ERR_CONFIG_INSECURE_URL'],
    [{ scope: 'acme', identity: 'x', 'env-name': 'GH-TOKEN' }, 'ERR_CONFIG_PATTERN'],
    [{ scope: 'acme', identity: 'x', revoke: 'no' }, 'ERR_CONFIG_BOOLEAN'],
  ])('rejects %j with %s', (raw, code) => {
    expect(() => parseOptions(octoStsTarget, raw)).toThrow(expect.objectContaining({ code }));
  });
});

describe('octo-sts requests', () => {
  it('builds the exchange', () => {
    const req = exchangeRequest(new URL('https://octo-sts.dev'), 'acme/app', 'deploy', 'the.jwt.sig');
    expect(String(req.url)).toBe('https://octo-sts.dev/sts/exchange?scope=acme%2Fapp&identity=deploy');
    expect(req.method).toBe('GET');
    expect(req.headers).toMatchObject({ authorization: 'Bearer the.jwt.sig' });
    expect(req.what).not.toContain('the.jwt.sig');
  });

  it('builds the revocation against GHES', () => {
    const req = revokeRequest(new URL('https://ghe.acme.com/api/v3'), 'ghs_x');
    expect(String(req.url)).toBe('https://ghe.acme.com/api/v3/installation/token');
    expect(req.method).toBe('DELETE');
    expect(req.headers).toMatchObject({
      authorization: 'Bearer ghs_x',
      'x-github-api-version': '2022-11-28',
    });
  });
});

describe('octo-sts responses', () => {
  it('reads the token', () => {
    expect(parseExchange(res(200, { token: 'ghs_abc' }))).toBe('ghs_abc');
  });

  it.each([
    ['no token', { refresh_token: '' }],
    ['truncated JSON', '{"tok'],
    ['HTML', '<html>login</html>'],
  ])('rejects %s', (_n, body) => {
    expect(() => parseExchange(res(200, body))).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });

  const call = { scope: 'acme/app', identity: 'deploy', domain: 'octo-sts.dev' };
  it.each([
    [
      404,
      { code: 5, message: 'unable to find trust policy for "deploy"', details: [] },
      'ERR_EXCHANGE_REJECTED',
      'NotFound',
    ],
    [
      403,
      {
        code: 7,
        message:
          'trust policy: subject "repo:acme/app:ref:refs/heads/x" did not match "repo:acme/app:ref:refs/heads/main"',
        details: [],
      },
      'ERR_EXCHANGE_REJECTED',
      'PermissionDenied',
    ],
    [
      403,
      {
        code: 7,
        message: 'trust policy: audience "octo-sts.dev" did not match any of [sts.amazonaws.com]',
        details: [],
      },
      'ERR_EXCHANGE_REJECTED',
      'PermissionDenied',
    ],
    [
      401,
      { code: 16, message: 'unable to verify bearer token', details: [] },
      'ERR_EXCHANGE_REJECTED',
      'Unauthenticated',
    ],
    [
      400,
      { code: 3, message: 'scope must be provided', details: [] },
      'ERR_EXCHANGE_REJECTED',
      'InvalidArgument',
    ],
    [429, { code: 8, message: 'rate limited', details: [] }, 'ERR_EXCHANGE_THROTTLED', 'ResourceExhausted'],
    [500, { code: 13, message: 'failed to get token', details: [] }, 'ERR_EXCHANGE_SERVER', 'Internal'],
    [
      403,
      { message: 'token exchange failure (StatusUnprocessableEntity)' },
      'ERR_EXCHANGE_REJECTED',
      undefined,
    ],
  ])('HTTP %i %j → %s', (status, body, code, serverCode) => {
    const err = exchangeError(res(status, body), call);
    expect(err).toMatchObject({ code, status });
    expect(err.serverCode).toBe(serverCode);
    if (status !== 429 && status !== 500) expect(err.hint).toBeTruthy();
  });

  it('handles an HTML error page', () => {
    expect(exchangeError(res(502, '<html>bad gateway</html>', 'text/html'), call).code).toBe(
      'ERR_EXCHANGE_SERVER',
    );
  });
});
