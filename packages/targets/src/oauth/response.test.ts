import type { HttpResponse } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { oauthTarget } from './index.js';
import { parseOAuthFailure, parseOAuthSuccess } from './response.js';

const options = parseOptions(oauthTarget, {
  'token-url': 'https://auth.example.com/token',
  audience: 'https://auth.example.com',
  scope: 'read',
});
const NOW = 1_700_000_000_000;

function res(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': 'application/json', ...headers }),
    text: typeof body === 'string' ? body : JSON.stringify(body),
    attempts: 1,
  };
}

function logger() {
  const lines: string[] = [];
  return { lines, log: { debug: (m: string) => void lines.push(m), info: () => {}, warn: () => {} } };
}

describe('parseOAuthSuccess', () => {
  it('exports the token as a secret env and output, with expiry and issued type', () => {
    const { log, lines } = logger();
    const c = parseOAuthSuccess(
      res(200, {
        access_token: 'tok',
        token_type: 'Bearer',
        expires_in: 600,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        scope: 'read',
      }),
      options,
      NOW,
      log,
    );
    expect(c.values).toEqual([
      {
        name: 'accessToken',
        value: 'tok',
        secret: true,
        env: 'FEDERATE_OAUTH_TOKEN',
        output: 'oauth-access-token',
      },
      {
        name: 'expiration',
        value: new Date(NOW + 600_000).toISOString(),
        secret: false,
        output: 'oauth-expiration',
      },
      {
        name: 'issuedTokenType',
        value: 'urn:ietf:params:oauth:token-type:access_token',
        secret: false,
        output: 'oauth-issued-token-type',
      },
    ]);
    expect(lines).toEqual([]);
  });

  it('tolerates a missing issued_token_type with a debug note', () => {
    const { log, lines } = logger();
    const c = parseOAuthSuccess(res(200, { access_token: 'tok', token_type: 'Bearer' }), options, NOW, log);
    expect(c.values.find((v) => v.name === 'issuedTokenType')?.value).toBe(options.requestedTokenType);
    expect(lines).toHaveLength(1);
  });

  it('keeps a refresh token secret and unexported unless asked', () => {
    const seen: string[] = [];
    const body = { access_token: 'tok', token_type: 'Bearer', refresh_token: 'refresh-xyz' };
    const c = parseOAuthSuccess(res(200, body), options, NOW, logger().log, (s) => seen.push(s));
    expect(seen).toEqual(['refresh-xyz']);
    expect(c.values.some((v) => v.value === 'refresh-xyz')).toBe(false);
    const asked = parseOAuthSuccess(
      res(200, body),
      { ...options, exportRefreshToken: true },
      NOW,
      logger().log,
    );
    expect(asked.values.find((v) => v.value === 'refresh-xyz')).toMatchObject({
      secret: true,
      output: 'oauth-refresh-token',
    });
  });

  it.each([
    ['no access_token', res(200, { token_type: 'Bearer' })],
    ['no token_type', res(200, { access_token: 'x' })],
    ['a MAC token', res(200, { access_token: 'x', token_type: 'mac' })],
    ['HTML', res(200, '<html><body>Sign in</body></html>', { 'content-type': 'text/html' })],
    ['truncated JSON', res(200, '{"access_tok')],
  ])('rejects %s', (_n, r) => {
    expect(() => parseOAuthSuccess(r, options, NOW, logger().log)).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });
});

describe('parseOAuthFailure', () => {
  it.each<[string, number, string]>([
    ['invalid_grant', 400, 'ERR_EXCHANGE_REJECTED'],
    ['invalid_client', 401, 'ERR_EXCHANGE_REJECTED'],
    ['unauthorized_client', 400, 'ERR_EXCHANGE_REJECTED'],
    ['invalid_target', 400, 'ERR_EXCHANGE_REJECTED'],
    ['invalid_scope', 400, 'ERR_EXCHANGE_REJECTED'],
    ['invalid_request', 400, 'ERR_EXCHANGE_REJECTED'],
    ['unsupported_grant_type', 400, 'ERR_EXCHANGE_REJECTED'],
    ['temporarily_unavailable', 503, 'ERR_EXCHANGE_SERVER'],
  ])('maps %s (HTTP %i) to %s with a hint', (error, status, code) => {
    const e = parseOAuthFailure(res(status, { error, error_description: 'nope' }), options);
    expect(e).toMatchObject({ code, serverCode: error, status });
    expect(e.hint).toBeTruthy();
  });

  it('reads the error from WWW-Authenticate on a bare 401', () => {
    const e = parseOAuthFailure(
      res(401, '', { 'www-authenticate': 'Basic realm="x", error="invalid_client"' }),
      options,
    );
    expect(e).toMatchObject({ serverCode: 'invalid_client', status: 401 });
    expect(e.hint).toBeTruthy();
  });

  it('hints at token-url for a 404 page', () => {
    const e = parseOAuthFailure(res(404, '<html>Not Found</html>', { 'content-type': 'text/html' }), options);
    expect(e).toMatchObject({ code: 'ERR_EXCHANGE_REJECTED', serverCode: undefined });
    expect(e.hint).toBeTruthy();
  });
});
