import type { HttpResponse } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { classifyVaultError, parseLogin, parseSecret, secretText, vaultError } from './response.js';

function res(status: number, body: unknown, type = 'application/json'): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': type }),
    text: typeof body === 'string' ? body : JSON.stringify(body),
    attempts: 1,
  };
}

const LOGIN = {
  request_id: 'req-1',
  lease_id: '',
  renewable: false,
  lease_duration: 0,
  data: null,
  wrap_info: null,
  warnings: null,
  auth: {
    client_token: 'hvs.CAESIabc',
    accessor: 'acc',
    policies: ['default', 'dev'],
    token_policies: ['default', 'dev'],
    metadata: { role: 'ci' },
    lease_duration: 2764800,
    renewable: true,
    entity_id: 'ent-1',
    token_type: 'service',
    orphan: true,
    num_uses: 0,
  },
};

describe('parseLogin', () => {
  it('reads the token and its properties', () => {
    expect(parseLogin(res(200, LOGIN))).toEqual({
      token: 'hvs.CAESIabc',
      accessor: 'acc',
      policies: ['default', 'dev'],
      leaseDuration: 2764800,
      renewable: true,
      entityId: 'ent-1',
      tokenType: 'service',
      requestId: 'req-1',
    });
  });

  it.each([
    ['no auth', { ...LOGIN, auth: null }],
    ['no client_token', { ...LOGIN, auth: { ...LOGIN.auth, client_token: '' } }],
    ['an array', []],
    ['truncated JSON', JSON.stringify(LOGIN).slice(0, 40)],
    ['an HTML page', '<!DOCTYPE html><html><body>Login</body></html>'],
  ])('rejects %s as a bad response', (_name, body) => {
    expect(() => parseLogin(res(200, body))).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });
});

describe('parseSecret', () => {
  it('reads KV v2 data.data and KV v1 data', () => {
    const v2 = { data: { data: { a: '1' }, metadata: { version: 3 } } };
    expect(parseSecret(res(200, v2), 'secret/data/x', 2)).toEqual({ a: '1' });
    expect(parseSecret(res(200, { data: { b: '2' } }), 'kv/x', 1)).toEqual({ b: '2' });
  });

  it.each([
    ['a deleted v2 version', { data: { data: null, metadata: { deletion_time: 'x' } } }, 2],
    ['a v1 answer read as v2', { data: { b: '2' } }, 2],
    ['no data', { data: null }, 1],
  ] as const)('rejects %s', (_n, body, version) => {
    expect(() => parseSecret(res(200, body), 'p', version)).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });

  it.each([
    ['s', 's'],
    [42, '42'],
    [true, 'true'],
    [null, ''],
    [{ a: [1] }, '{"a":[1]}'],
  ])('renders %j as %j', (v, text) => {
    expect(secretText(v)).toBe(text);
  });
});

describe('vaultError', () => {
  const login = { op: 'login', mount: 'jwt', role: 'ci' } as const;
  const read = { op: 'read', path: 'secret/data/ci/aws' } as const;
  it.each([
    [
      400,
      [
        'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
      ],
      login,
      'ERR_EXCHANGE_REJECTED',
      'invalid_audience',
    ],
    [
      400,
      ['audience claim found in JWT but no audiences bound to the role'],
      login,
      'ERR_EXCHANGE_REJECTED',
      'no_bound_audiences',
    ],
    [
      400,
      ['error validating claims: claim "sub" does not match any associated bound claim values'],
      login,
      'ERR_EXCHANGE_REJECTED',
      'bound_claims',
    ],
    [
      400,
      ['error validating claims: claim "ref" is missing'],
      login,
      'ERR_EXCHANGE_REJECTED',
      'missing_claim',
    ],
    [
      400,
      ['error validating token: invalid subject (sub) claim'],
      login,
      'ERR_EXCHANGE_REJECTED',
      'bound_subject',
    ],
    [400, ['claim "email" not found in token'], login, 'ERR_EXCHANGE_REJECTED', 'user_claim'],
    [400, ['role "x" could not be found'], login, 'ERR_EXCHANGE_REJECTED', 'role_not_found'],
    [400, ['missing role'], login, 'ERR_EXCHANGE_REJECTED', 'missing_role'],
    [
      400,
      ['error validating token: invalid expiration time (exp) claim: token is expired'],
      login,
      'ERR_EXCHANGE_REJECTED',
      'expired',
    ],
    [
      400,
      ['error validating token: invalid issuer (iss) claim'],
      login,
      'ERR_EXCHANGE_REJECTED',
      'invalid_issuer',
    ],
    [
      400,
      [
        'error validating token: error verifying token signature: no known key successfully validated the token signature',
      ],
      login,
      'ERR_EXCHANGE_REJECTED',
      'invalid_signature',
    ],
    [
      404,
      ['no handler for route "auth/jwtx/login". route entry not found.'],
      login,
      'ERR_EXCHANGE_REJECTED',
      'no_route',
    ],
    [403, ['permission denied'], login, 'ERR_EXCHANGE_REJECTED', 'permission_denied'],
    [403, ['1 error occurred:\n\t* permission denied\n\n'], read, 'ERR_EXCHANGE_POLICY', 'permission_denied'],
    [404, [], read, 'ERR_EXCHANGE_REJECTED', 'not_found'],
    [503, ['Vault is sealed'], login, 'ERR_EXCHANGE_SERVER', 'sealed'],
    [
      429,
      ['request path "auth/jwt/login": rate limit quota exceeded'],
      login,
      'ERR_EXCHANGE_THROTTLED',
      'rate_limited',
    ],
    [500, ['internal error'], login, 'ERR_EXCHANGE_SERVER', 'unknown'],
  ] as const)('HTTP %i %j → %s / %s', (status, messages, call, code, kind) => {
    const err = vaultError(res(status, { errors: messages }), call);
    expect(err.code).toBe(code);
    expect(err.serverCode).toBe(kind);
    expect(err.status).toBe(status);
    if (kind !== 'unknown') expect(err.hint).toBeTruthy();
  });

  it('handles an HTML error page', () => {
    const err = vaultError(res(502, '<html><body>Bad Gateway</body></html>', 'text/html'), login);
    expect(err.code).toBe('ERR_EXCHANGE_SERVER');
    expect(err.message).toContain('HTTP 502');
  });

  it('classifies by status when the message is unknown', () => {
    expect(classifyVaultError(['something else'], 403)).toBe('permission_denied');
    expect(classifyVaultError([], 429)).toBe('rate_limited');
  });
});
