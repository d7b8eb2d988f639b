import { decodeIdentity, ExchangeError, type HttpResponse } from '@federate/core';
import { createKeyStore } from '@federate/testkit';
import { describe, expect, it } from 'vitest';
import type { AzureOptions } from './options.js';
import { AZURE_TOKEN_FILE, parseAzureError, parseAzureSuccess } from './response.js';

const options: AzureOptions = {
  clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  tenantId: '11111111-2222-3333-4444-555555555555',
  scope: 'https://management.azure.com/.default',
  authorityHost: 'https://login.microsoftonline.com',
  subscriptionId: '99999999-2222-3333-4444-555555555555',
};
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const assertion = await createKeyStore().sign({
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:octo/app:environment:prod',
  aud: 'api://AzureADTokenExchange',
  exp: NOW / 1000 + 300,
});
const identity = decodeIdentity(assertion);

function res(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': 'application/json; charset=utf-8', ...headers }),
    text: typeof body === 'string' ? body : JSON.stringify(body),
    attempts: 1,
  };
}

function aadBody(code: number, error: string, text = 'message') {
  return {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: trace-1\r\nCorrelation ID: corr-1\r\nTimestamp: 2026-11-22 12:00:00Z`,
    error_codes: [code],
    timestamp: '2026-11-22 12:00:00Z',
    trace_id: 'trace-1',
    correlation_id: 'corr-1',
  };
}

describe('parseAzureSuccess', () => {
  it('exports the access token, AZURE_* variables and the federated token file', () => {
    const c = parseAzureSuccess(
      res(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'at.at.at' }),
      options,
      assertion,
      NOW,
    );
    expect(c.principal).toBe(`${options.clientId}@${options.tenantId}`);
    expect(c.expiresAt?.getTime()).toBe(NOW + 3599_000);
    const byName = Object.fromEntries(c.values.map((v) => [v.name, v]));
    expect(byName['accessToken']).toMatchObject({
      value: 'at.at.at',
      secret: true,
      output: 'azure-access-token',
    });
    expect(byName['accessTokenExpiration']?.output).toBe('azure-access-token-expiration');
    expect(c.values.filter((v) => v.env).map((v) => v.env)).toEqual([
      'AZURE_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_AUTHORITY_HOST',
      'AZURE_SUBSCRIPTION_ID',
    ]);
    expect(c.files).toEqual([
      {
        name: AZURE_TOKEN_FILE,
        content: assertion,
        secret: true,
        mode: 0o600,
        env: ['AZURE_FEDERATED_TOKEN_FILE'],
        output: 'azure-federated-token-file',
      },
    ]);
    expect(c.files[0]?.content.endsWith('\n')).toBe(false);
  });

  it('accepts expires_in as a string (v1 endpoints) and leaves out the subscription when absent', () => {
    const c = parseAzureSuccess(
      res(200, { token_type: 'Bearer', expires_in: '3600', access_token: 'x' }),
      { ...options, subscriptionId: undefined },
      assertion,
      NOW,
    );
    expect(c.expiresAt?.getTime()).toBe(NOW + 3600_000);
    expect(c.values.some((v) => v.env === 'AZURE_SUBSCRIPTION_ID')).toBe(false);
  });

  it.each<[string, HttpResponse]>([
    ['no access_token', res(200, { token_type: 'Bearer', expires_in: 1 })],
    ['a non-JSON body', res(200, 'not json')],
    ['an HTML page', res(200, '<!DOCTYPE html><html></html>', { 'content-type': 'text/html' })],
    ['a JSON array', res(200, [])],
    ['a PoP token type', res(200, { token_type: 'pop', access_token: 'x' })],
  ])('rejects %s as ERR_EXCHANGE_BAD_RESPONSE', (_name, r) => {
    expect(() => parseAzureSuccess(r, options, assertion, NOW)).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });
});

describe('parseAzureError', () => {
  it.each<[number, string, number, string]>([
    [70021, 'invalid_request', 400, 'ERR_EXCHANGE_REJECTED'],
    [700211, 'invalid_client', 400, 'ERR_EXCHANGE_REJECTED'],
    [700212, 'invalid_client', 400, 'ERR_EXCHANGE_REJECTED'],
    [700213, 'invalid_client', 400, 'ERR_EXCHANGE_REJECTED'],
    [700016, 'unauthorized_client', 400, 'ERR_EXCHANGE_REJECTED'],
    [90002, 'invalid_request', 400, 'ERR_EXCHANGE_REJECTED'],
    [50027, 'invalid_request', 400, 'ERR_EXCHANGE_REJECTED'],
    [700024, 'invalid_client', 400, 'ERR_EXCHANGE_REJECTED'],
    [7000215, 'invalid_client', 401, 'ERR_EXCHANGE_REJECTED'],
    [700027, 'invalid_client', 401, 'ERR_EXCHANGE_REJECTED'],
    [50196, 'temporarily_unavailable', 429, 'ERR_EXCHANGE_THROTTLED'],
    [90033, 'temporarily_unavailable', 503, 'ERR_EXCHANGE_SERVER'],
  ])('maps AADSTS%i (%s, HTTP %i) to %s', (code, error, status, expected) => {
    const e = parseAzureError(
      res(status, aadBody(code, error)),
      options,
      identity,
      'api://AzureADTokenExchange',
    );
    expect(e).toBeInstanceOf(ExchangeError);
    expect(e).toMatchObject({ code: expected, serverCode: `AADSTS${code}`, status, requestId: 'trace-1' });
    expect(e.message).not.toContain('Trace ID');
  });

  it('gives hints for the federation mismatches that name what to configure', () => {
    const hint = (code: number) =>
      parseAzureError(
        res(400, aadBody(code, 'invalid_client')),
        options,
        identity,
        'api://AzureADTokenExchange',
      ).hint;
    for (const code of [70021, 700211, 700212, 700213, 700016, 90002, 700024, 7000215])
      expect(hint(code)).toBeTruthy();
    expect(hint(70021)).toContain(identity.subject);
    expect(hint(70021)).toContain(identity.issuer);
    expect(hint(70021)).toContain('api://AzureADTokenExchange');
    expect(hint(700213)).toContain(identity.subject);
  });

  it('prefers the x-ms-request-id header and survives non-OAuth bodies', () => {
    const e = parseAzureError(
      res(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html', 'x-ms-request-id': 'req-9' }),
      options,
      identity,
      'api://AzureADTokenExchange',
    );
    expect(e).toMatchObject({
      code: 'ERR_EXCHANGE_SERVER',
      status: 502,
      requestId: 'req-9',
      serverCode: undefined,
    });
  });
});
