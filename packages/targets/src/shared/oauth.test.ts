import type { HttpResponse } from '@federate/core';
import { jwtExpiry } from '@federate/core';
import { describe, expect, it } from 'vitest';
import {
  basicAuthorization,
  oauthFailureError,
  parseTokenResponse,
  parseWwwAuthenticate,
  readOAuthFailure,
} from './oauth.js';

function res(status: number, text: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': 'application/json', ...headers }),
    text,
    attempts: 1,
  };
}

describe('basicAuthorization', () => {
  it.each([
    ['client', 'secret', 'client:secret'],
    ['my app', 'p@ss:w rd', 'my+app:p%40ss%3Aw+rd'],
    ['ü', '%', '%C3%BC:%25'],
  ])('form-encodes %s / %s before base64 (RFC 6749 §2.3.1)', (id, secret, joined) => {
    expect(basicAuthorization(id, secret)).toBe(`Basic ${Buffer.from(joined).toString('base64')}`);
  });
});

describe('parseWwwAuthenticate', () => {
  it.each<[string | null, ReturnType<typeof parseWwwAuthenticate>]>([
    ['Basic realm="x", error="invalid_client"', { scheme: 'Basic', error: 'invalid_client' }],
    [
      'Bearer error="invalid_token", error_description="the \\"token\\" expired"',
      { scheme: 'Bearer', error: 'invalid_token', errorDescription: 'the "token" expired' },
    ],
    ['Basic realm=x', { scheme: 'Basic' }],
    [null, undefined],
    ['', undefined],
  ])('reads %s', (header, expected) => {
    expect(parseWwwAuthenticate(header)).toEqual(expected);
  });
});

describe('readOAuthFailure and oauthFailureError', () => {
  it('reads the body first, then WWW-Authenticate', () => {
    expect(
      readOAuthFailure(res(400, '{"error":"invalid_grant","error_description":"expired"}')),
    ).toMatchObject({
      error: 'invalid_grant',
      errorDescription: 'expired',
      fromHeader: false,
    });
    expect(
      readOAuthFailure(res(401, '', { 'www-authenticate': 'Basic error="invalid_client"' })),
    ).toMatchObject({
      error: 'invalid_client',
      fromHeader: true,
    });
    expect(readOAuthFailure(res(502, '<html></html>', { 'content-type': 'text/html' }))).toBeUndefined();
  });

  it.each<[number, string, Record<string, string>, string, string | undefined]>([
    [400, '{"error":"invalid_grant"}', {}, 'ERR_EXCHANGE_REJECTED', 'invalid_grant'],
    [
      401,
      '',
      { 'www-authenticate': 'Basic realm="r", error="invalid_client"' },
      'ERR_EXCHANGE_REJECTED',
      'invalid_client',
    ],
    [429, '{"error":"slow_down"}', {}, 'ERR_EXCHANGE_THROTTLED', 'slow_down'],
    [503, 'unavailable', { 'content-type': 'text/plain' }, 'ERR_EXCHANGE_SERVER', undefined],
    [403, '<html>denied</html>', { 'content-type': 'text/html' }, 'ERR_EXCHANGE_REJECTED', undefined],
  ])('maps HTTP %i %s to %s', (status, body, headers, code, serverCode) => {
    const e = oauthFailureError(
      res(status, body, { ...headers, 'x-request-id': 'r1' }),
      'oauth',
      'the server',
      () => 'fix it',
    );
    expect(e).toMatchObject({ code, serverCode, status, requestId: 'r1', hint: 'fix it' });
  });

  it('keeps only the first line of a multi-line description', () => {
    const e = oauthFailureError(
      res(400, JSON.stringify({ error: 'x', error_description: 'one\r\nTrace ID: 2' })),
      'oauth',
      's',
      () => undefined,
    );
    expect(e.message).not.toContain('Trace ID');
  });
});

describe('parseTokenResponse', () => {
  const now = 1_000_000;
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

  it('reads the RFC 6749 §5.1 / RFC 8693 §2.2.1 fields', () => {
    const t = parseTokenResponse(
      res(
        200,
        JSON.stringify({
          access_token: 'a',
          token_type: 'bearer',
          expires_in: 60,
          issued_token_type: 'urn:x',
          refresh_token: 'r',
          scope: 's',
        }),
      ),
      'oauth',
      'w',
      now,
    );
    expect(t).toEqual({
      accessToken: 'a',
      tokenType: 'bearer',
      expiresAt: new Date(now + 60_000),
      issuedTokenType: 'urn:x',
      refreshToken: 'r',
      scope: 's',
    });
  });

  it('falls back to the JWT exp when expires_in is missing, and accepts N_A', () => {
    const t = parseTokenResponse(
      res(200, JSON.stringify({ access_token: jwt({ exp: 2000 }), token_type: 'N_A' })),
      'oauth',
      'w',
      now,
    );
    expect(t.expiresAt).toEqual(new Date(2_000_000));
    expect(jwtExpiry('opaque')).toBeUndefined();
  });

  it.each([
    ['no access_token', { token_type: 'Bearer' }],
    ['no token_type', { access_token: 'a' }],
    ['a DPoP token_type', { access_token: 'a', token_type: 'DPoP' }],
  ])('rejects %s', (_n, body) => {
    expect(() => parseTokenResponse(res(200, JSON.stringify(body)), 'oauth', 'w', now)).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });
});
