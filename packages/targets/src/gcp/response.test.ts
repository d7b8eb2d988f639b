import { ExchangeError, type HttpResponse, jwtExpiry } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { gcpTarget } from './index.js';
import {
  type IamContext,
  iamError,
  parseGenerateAccessToken,
  parseGenerateIdToken,
  parseGoogleApiError,
  parseStsSuccess,
  stsError,
} from './response.js';

const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const SA = 'deployer@my-proj.iam.gserviceaccount.com';
const options = parseOptions(gcpTarget, { 'workload-identity-provider': WIP, 'service-account': SA });
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function res(status: number, body: unknown, contentType = 'application/json'): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': contentType }),
    text: typeof body === 'string' ? body : JSON.stringify(body),
    attempts: 1,
  };
}

function caught(fn: () => unknown): ExchangeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ExchangeError) return error;
    throw error;
  }
  throw new Error('expected an ExchangeError');
}

const identity = {
  audience: ['https://wrong.example'],
  issuer: 'https://token.actions.githubusercontent.com',
  expiresAt: new Date(NOW + 60_000),
  subject: 'repo:octo/app:ref:refs/heads/main',
  repository: 'octo/app',
  platform: 'github' as const,
};

describe('STS parsing', () => {
  it('reads a success', () => {
    const t = parseStsSuccess(
      res(200, {
        access_token: 'ya29.x',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 3599,
      }),
      NOW,
    );
    expect(t).toEqual({
      accessToken: 'ya29.x',
      expiresAt: new Date(NOW + 3_599_000),
      issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    });
  });

  it.each([
    ['no access_token', res(200, { token_type: 'Bearer' })],
    ['a non-bearer token', res(200, { access_token: 'x', token_type: 'N_A' })],
    ['a truncated body', res(200, '{"access_tok')],
    ['an HTML page', res(200, '<html>login</html>', 'text/html')],
    ['a JSON array', res(200, [])],
  ])('refuses %s as ERR_EXCHANGE_BAD_RESPONSE', (_, r) => {
    expect(caught(() => parseStsSuccess(r, NOW)).code).toBe('ERR_EXCHANGE_BAD_RESPONSE');
  });

  it.each([
    [
      400,
      {
        error: 'invalid_target',
        error_description: 'The target service indicated by the "audience" parameters is invalid.',
      },
      'ERR_EXCHANGE_REJECTED',
      'invalid_target',
      /project NUMBER/,
    ],
    [
      400,
      {
        error: 'unauthorized_client',
        error_description: 'The given credential is rejected by the attribute condition.',
      },
      'ERR_EXCHANGE_REJECTED',
      'unauthorized_client',
      /federate doctor --trust-policy/,
    ],
    [
      400,
      {
        error: 'invalid_grant',
        error_description:
          'The audience in ID Token [https://wrong.example] does not match the expected audience.',
      },
      'ERR_EXCHANGE_REJECTED',
      'invalid_grant',
      new RegExp(`https://iam\\.googleapis\\.com/${WIP}`),
    ],
    [
      400,
      { error: 'invalid_grant', error_description: 'The ID Token has expired.' },
      'ERR_EXCHANGE_REJECTED',
      'invalid_grant',
      /clock/,
    ],
    [
      400,
      {
        error: 'invalid_grant',
        error_description: 'The issuer in ID Token x does not match the expected ones.',
      },
      'ERR_EXCHANGE_REJECTED',
      'invalid_grant',
      /token\.actions\.githubusercontent\.com/,
    ],
    [429, { error: 'rate_limited' }, 'ERR_EXCHANGE_THROTTLED', 'rate_limited', undefined],
    [503, '<html>unavailable</html>', 'ERR_EXCHANGE_SERVER', undefined, /retry later/],
  ] as const)('maps HTTP %i %j', (status, body, code, serverCode, hint) => {
    const e = stsError(res(status, body), options, identity, NOW);
    expect(e.code).toBe(code);
    expect(e.serverCode).toBe(serverCode);
    expect(e.status).toBe(status);
    if (hint) expect(e.hint).toMatch(hint);
  });
});

describe('IAM Credentials parsing', () => {
  const ctx: IamContext = { options, serviceAccount: SA, method: 'generateAccessToken', identity };

  it('reads generateAccessToken with or without fractional seconds', () => {
    expect(
      parseGenerateAccessToken(res(200, { accessToken: 'ya29.c', expireTime: '2026-11-22T12:55:28Z' }), SA)
        .expiresAt,
    ).toEqual(new Date('2026-11-22T12:55:28Z'));
    expect(
      parseGenerateAccessToken(
        res(200, { accessToken: 'ya29.c', expireTime: '2026-11-22T12:55:28.469Z' }),
        SA,
      ).expiresAt.getTime(),
    ).toBe(Date.parse('2026-11-22T12:55:28.469Z'));
    expect(
      caught(() => parseGenerateAccessToken(res(200, { accessToken: 'a', expireTime: 'soon' }), SA)).code,
    ).toBe('ERR_EXCHANGE_BAD_RESPONSE');
  });

  it('reads generateIdToken and its expiry', () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1_800_000_000 })).toString('base64url');
    const token = `eyJhbGciOiJSUzI1NiJ9.${payload}.c2ln`;
    expect(parseGenerateIdToken(res(200, { token }), SA)).toEqual({
      token,
      expiresAt: new Date(1_800_000_000_000),
    });
    expect(caught(() => parseGenerateIdToken(res(200, { token: 'opaque' }), SA)).code).toBe(
      'ERR_EXCHANGE_BAD_RESPONSE',
    );
    expect(jwtExpiry('a.b')).toBeUndefined();
  });

  const envelope = (code: number, status: string, message: string, reason?: string) => ({
    error: {
      code,
      message,
      status,
      ...(reason
        ? {
            details: [
              { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'iam.googleapis.com' },
            ],
          }
        : {}),
    },
  });

  it.each([
    [
      403,
      envelope(
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
        'IAM_PERMISSION_DENIED',
      ),
      'ERR_EXCHANGE_REJECTED',
      'PERMISSION_DENIED',
      /roles\/iam\.workloadIdentityUser.*attribute\.repository\/octo\/app/,
    ],
    [
      403,
      envelope(
        403,
        'PERMISSION_DENIED',
        'IAM Service Account Credentials API has not been used in project 1 before',
        'SERVICE_DISABLED',
      ),
      'ERR_EXCHANGE_REJECTED',
      'PERMISSION_DENIED',
      /iamcredentials\.googleapis\.com/,
    ],
    [
      403,
      envelope(
        403,
        'PERMISSION_DENIED',
        'Request had insufficient authentication scopes.',
        'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      ),
      'ERR_EXCHANGE_REJECTED',
      'PERMISSION_DENIED',
      /scope/,
    ],
    [
      404,
      envelope(404, 'NOT_FOUND', `Not found; Gaia id not found for email ${SA}`),
      'ERR_EXCHANGE_REJECTED',
      'NOT_FOUND',
      /does not exist/,
    ],
    [
      401,
      envelope(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
      'ERR_EXCHANGE_REJECTED',
      'UNAUTHENTICATED',
      /federated token/,
    ],
    [
      400,
      envelope(400, 'INVALID_ARGUMENT', 'Scope required.'),
      'ERR_EXCHANGE_REJECTED',
      'INVALID_ARGUMENT',
      /scopes/,
    ],
    [
      429,
      envelope(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'),
      'ERR_EXCHANGE_THROTTLED',
      'RESOURCE_EXHAUSTED',
      undefined,
    ],
    [502, '<html>bad gateway</html>', 'ERR_EXCHANGE_SERVER', undefined, /retry later/],
  ] as const)('maps HTTP %i %j', (status, body, code, serverCode, hint) => {
    const e = iamError(res(status, body), ctx);
    expect(e.code).toBe(code);
    expect(e.serverCode).toBe(serverCode);
    if (hint) expect(e.hint).toMatch(hint);
  });

  it('hints at the org constraint when a long lifetime is refused', () => {
    const long = parseOptions(gcpTarget, {
      'workload-identity-provider': WIP,
      'service-account': SA,
      lifetime: '8h',
    });
    const e = iamError(res(400, envelope(400, 'INVALID_ARGUMENT', 'lifetime too long')), {
      ...ctx,
      options: long,
    });
    expect(e.hint).toMatch(/allowServiceAccountCredentialLifetimeExtension/);
  });

  it('parses the envelope and ignores other bodies', () => {
    expect(parseGoogleApiError(JSON.stringify(envelope(403, 'PERMISSION_DENIED', 'm', 'R')))).toEqual({
      code: 403,
      message: 'm',
      status: 'PERMISSION_DENIED',
      reason: 'R',
    });
    expect(parseGoogleApiError('{"error":"invalid_grant"}')).toBeUndefined();
    expect(parseGoogleApiError('nope')).toBeUndefined();
  });
});
