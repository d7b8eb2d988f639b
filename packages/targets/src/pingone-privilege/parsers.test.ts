import type { HttpResponse } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { pingOnePrivilegeTarget } from './index.js';
import { parseMapping } from './options.js';
import { workloadTokenRequest, workloadTokenUrl } from './request.js';
import {
  decodeToken,
  expiryOf,
  extractToken,
  getPath,
  mapCredentials,
  workloadTokenError,
} from './response.js';

const BASE = { 'base-url': 'https://app.proxyon.cloud', tenant: 'acme', namespace: 'ci', workload: 'deploy' };
const KEY = 'pk_live_secret_api_key_1234';

function res(
  status: number,
  body: unknown,
  type = 'application/json',
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': type, ...headers }),
    text: typeof body === 'string' ? body : JSON.stringify(body),
    attempts: 1,
  };
}
const jwtOf = (payload: unknown) =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('pingone-privilege options', () => {
  it('defaults: no platform token, default mapping, 5m renew-before, the base URL origin as audience', () => {
    const o = parseOptions(pingOnePrivilegeTarget, { ...BASE, 'api-key': KEY });
    expect(o).toMatchObject({
      apiKey: KEY,
      apiKeySource: 'api-key',
      sendPlatformToken: 'none',
      tokenField: undefined,
      mappingIsDefault: true,
      renewBeforeMs: 300_000,
      jwksUrl: undefined,
    });
    expect(o.mapping.map((m) => m.env)).toContain('AWS_SESSION_TOKEN');
    expect(pingOnePrivilegeTarget.audience(o)).toBe('https://app.proxyon.cloud');
    expect(pingOnePrivilegeTarget.describe?.(o)).not.toContain(KEY);
  });

  it('reads the API key from PINGONE_PRIVILEGE_API_KEY or a named variable', () => {
    expect(parseOptions(pingOnePrivilegeTarget, BASE, { PINGONE_PRIVILEGE_API_KEY: KEY })).toMatchObject({
      apiKey: KEY,
      apiKeySource: 'PINGONE_PRIVILEGE_API_KEY',
    });
    expect(
      parseOptions(pingOnePrivilegeTarget, { ...BASE, 'api-key-env': 'P1_KEY' }, { P1_KEY: KEY }),
    ).toMatchObject({ apiKey: KEY, apiKeySource: 'P1_KEY' });
  });

  it('reads a custom mapping, header and JWKS', () => {
    const o = parseOptions(pingOnePrivilegeTarget, {
      ...BASE,
      'api-key': KEY,
      mapping: '{"AWS_ACCESS_KEY_ID":"creds.aws.key","EXTRA":"x.y?"}',
      'send-platform-token': 'header',
      'platform-token-header': 'X-Platform-Token',
      'token-field': 'data.jwt',
      'renew-before': '10m',
      'jwks-url': 'https://app.proxyon.cloud/jwks',
    });
    expect(o.mapping).toEqual([
      { env: 'AWS_ACCESS_KEY_ID', path: 'creds.aws.key', optional: false },
      { env: 'EXTRA', path: 'x.y', optional: true },
    ]);
    expect(o).toMatchObject({ mappingIsDefault: false, renewBeforeMs: 600_000, tokenField: 'data.jwt' });
  });

  it.each([
    [{ tenant: 'a', namespace: 'n', workload: 'w', 'api-key': KEY }, 'ERR_CONFIG_REQUIRED'],
    [{ ...BASE, 'base-url': 'http://app.proxyon.cloud', 'api-key': KEY }, 'ERR_CONFIG_INSECURE_URL'],
    [{ ...BASE, tenant: '..', 'api-key': KEY }, 'ERR_CONFIG_PATTERN'],
    [{ ...BASE, workload: 'a/b', 'api-key': KEY }, 'ERR_CONFIG_PATTERN'],
    [{ ...BASE, namespace: 'a?b', 'api-key': KEY }, 'ERR_CONFIG_PATTERN'],
    [BASE, 'ERR_CONFIG_REQUIRED'],
    [{ ...BASE, 'api-key-env': 'UNSET_VAR' }, 'ERR_CONFIG_REQUIRED'],
    [{ ...BASE, 'api-key': KEY, 'api-key-env': 'X' }, 'ERR_CONFIG_EXCLUSIVE'],
    [{ ...BASE, 'api-key': KEY, 'send-platform-token': 'body' }, 'ERR_CONFIG_ENUM'],
    [{ ...BASE, 'api-key': KEY, 'send-platform-token': 'header' }, 'ERR_CONFIG_REQUIRED'],
    [
      { ...BASE, 'api-key': KEY, 'send-platform-token': 'header', 'platform-token-header': 'Authorization' },
      'ERR_CONFIG_INVALID',
    ],
    [{ ...BASE, 'api-key': KEY, 'platform-token-header': 'X-T' }, 'ERR_CONFIG_EXCLUSIVE'],
    [{ ...BASE, 'api-key': KEY, mapping: '{not json' }, 'ERR_CONFIG_JSON'],
    [{ ...BASE, 'api-key': KEY, mapping: '{"A-B":"x"}' }, 'ERR_CONFIG_INVALID'],
    [{ ...BASE, 'api-key': KEY, mapping: '{"A":"x..y"}' }, 'ERR_CONFIG_INVALID'],
    [{ ...BASE, 'api-key': KEY, mapping: '{}' }, 'ERR_CONFIG_INVALID'],
    [{ ...BASE, 'api-key': KEY, 'renew-before': '1h' }, 'ERR_CONFIG_DURATION'],
    [{ ...BASE, 'api-key': KEY, 'token-field': 'a b' }, 'ERR_CONFIG_PATTERN'],
  ])('rejects %j with %s', (raw, code) => {
    let message = '';
    expect(() => {
      try {
        parseOptions(pingOnePrivilegeTarget, raw);
      } catch (e) {
        message = (e as Error).message;
        throw e;
      }
    }).toThrow(expect.objectContaining({ code }));
    expect(message).not.toContain(KEY);
  });

  it.each([
    [['a'], 'must be a JSON object'],
    [{ A: 1 }, 'must be a string'],
  ])('parseMapping rejects %j', (doc, text) => {
    expect(parseMapping(doc)).toEqual({ error: expect.stringContaining(text) });
  });
});

describe('pingone-privilege requests', () => {
  it('builds the documented GET with the API key as bearer and nothing else', () => {
    const o = parseOptions(pingOnePrivilegeTarget, {
      ...BASE,
      'base-url': 'https://p1.example/proxy/',
      'api-key': KEY,
    });
    const req = workloadTokenRequest(o, 'platform.jwt.value');
    expect(String(req.url)).toBe('https://p1.example/proxy/pubapi/acme/v1/workloadtokens/ci/deploy');
    expect(req.method).toBe('GET');
    expect(req.headers).toEqual({
      accept: 'application/json, application/jwt, text/plain',
      authorization: `Bearer ${KEY}`,
    });
    expect(req.what).not.toContain(KEY);
  });

  it('adds the platform token only under the named header', () => {
    const o = parseOptions(pingOnePrivilegeTarget, {
      ...BASE,
      'api-key': KEY,
      'send-platform-token': 'header',
      'platform-token-header': 'X-Platform-Token',
    });
    expect(workloadTokenRequest(o, 'platform.jwt.value').headers).toMatchObject({
      'x-platform-token': 'platform.jwt.value',
    });
    expect(String(workloadTokenUrl({ ...o, workload: 'a b~c' }))).toMatch(/workloadtokens\/ci\/a%20b~c$/);
  });
});

describe('pingone-privilege responses', () => {
  const payload = {
    exp: 2_000_000_000,
    aws: { accessKeyId: 'ASIAX', secretAccessKey: 'sek', sessionToken: 'st' },
    gcp: { accessToken: 'ya29.x' },
  };
  const jwt = jwtOf(payload);

  it.each([
    ['JSON token', res(200, { token: jwt, expiresIn: 3600 }), undefined],
    ['JSON access_token', res(200, { access_token: jwt }), undefined],
    ['nested data.accessToken', res(200, { data: { accessToken: jwt } }), undefined],
    ['a bare JWT', res(200, `${jwt}\n`, 'application/jwt'), undefined],
    ['a JSON string', res(200, JSON.stringify(jwt)), undefined],
    ['token-field', res(200, { result: { wt: jwt } }), 'result.wt'],
  ])('finds the token in %s', (_n, r, field) => {
    expect(extractToken(r, field)).toBe(jwt);
  });

  it.each([
    ['an HTML page', res(200, '<html>login</html>', 'text/html'), undefined],
    ['no token field', res(200, { other: 'x' }), undefined],
    ['plain text', res(200, 'hello world', 'text/plain'), undefined],
    ['a missing token-field', res(200, { token: jwt }), 'data.token'],
    ['truncated JSON', res(200, '{"tok'), undefined],
  ])('rejects %s', (_n, r, field) => {
    expect(() => extractToken(r, field)).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });

  it('decodes a JWT or base64 JSON, and nothing else', () => {
    expect(decodeToken(jwt).payload).toEqual(payload);
    expect(decodeToken(Buffer.from(JSON.stringify(payload)).toString('base64')).header).toBeUndefined();
    expect(() => decodeToken('opaque-token')).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });

  it('reads expiry from exp, iat, or assumes 60 minutes', () => {
    expect(expiryOf({ exp: 10 }, 0)).toEqual({ at: new Date(10_000), assumed: false });
    expect(expiryOf({ iat: 10 }, 0)).toEqual({ at: new Date(10_000 + 3_600_000), assumed: true });
    expect(expiryOf({}, 5)).toEqual({ at: new Date(5 + 3_600_000), assumed: true });
  });

  it('reads dotted paths and array indices', () => {
    expect(getPath({ a: [{ b: 'x' }] }, 'a.0.b')).toBe('x');
    expect(getPath({ a: 'x' }, 'a.b')).toBeUndefined();
  });

  const defaults = parseOptions(pingOnePrivilegeTarget, { ...BASE, 'api-key': KEY }).mapping;
  it('maps the default fields, skipping absent clouds', () => {
    expect(mapCredentials(payload, defaults, true)).toEqual([
      { env: 'AWS_ACCESS_KEY_ID', value: 'ASIAX' },
      { env: 'AWS_SECRET_ACCESS_KEY', value: 'sek' },
      { env: 'AWS_SESSION_TOKEN', value: 'st' },
      { env: 'CLOUDSDK_AUTH_ACCESS_TOKEN', value: 'ya29.x' },
      { env: 'GOOGLE_OAUTH_ACCESS_TOKEN', value: 'ya29.x' },
    ]);
  });

  it.each([
    ['half an AWS key', { aws: { accessKeyId: 'A' } }, defaults, true],
    ['nothing mapped', { other: 1 }, defaults, true],
    ['a required custom field', { a: 'x' }, [{ env: 'B', path: 'b', optional: false }], false],
  ])('fails on %s', (_n, p, mapping, isDefault) => {
    expect(() => mapCredentials(p, mapping, isDefault)).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });

  const call = { tenant: 'acme', namespace: 'ci', workload: 'deploy', apiKeySource: 'api-key' };
  it.each([
    [401, { code: 'UNAUTHORIZED', message: 'invalid API key' }, 'ERR_EXCHANGE_REJECTED', 'UNAUTHORIZED'],
    [403, { code: 'NO_POLICY', message: 'no policy' }, 'ERR_EXCHANGE_POLICY', 'NO_POLICY'],
    [404, { error: 'not_found' }, 'ERR_EXCHANGE_REJECTED', 'not_found'],
    [400, '', 'ERR_EXCHANGE_REJECTED', 'BadRequest'],
    [429, 'slow down', 'ERR_EXCHANGE_THROTTLED', 'TooManyRequests'],
    [503, '<html>down</html>', 'ERR_EXCHANGE_SERVER', undefined],
  ])('HTTP %i %j → %s', (status, body, code, serverCode) => {
    const err = workloadTokenError(
      res(status, body, typeof body === 'string' && body.startsWith('<') ? 'text/html' : 'application/json', {
        'x-request-id': 'req-1',
      }),
      call,
    );
    expect(err).toMatchObject({ code, status, requestId: 'req-1' });
    expect(err.serverCode).toBe(serverCode);
    if (status < 500) expect(err.hint).toBeTruthy();
  });
});
