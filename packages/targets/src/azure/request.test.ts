import { ConfigError } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { azureTarget } from './index.js';
import { DEFAULT_AZURE_AUDIENCE, DEFAULT_AZURE_SCOPE } from './options.js';
import { buildAzureTokenRequest } from './request.js';

const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const TENANT = '11111111-2222-3333-4444-555555555555';
const SUB = '99999999-2222-3333-4444-555555555555';

function codes(raw: Record<string, string>): string[] {
  try {
    parseOptions(azureTarget, raw);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => `${i.input}:${i.code}`);
  }
}

describe('azure options', () => {
  it('applies the documented defaults', () => {
    const o = parseOptions(azureTarget, { 'client-id': CLIENT, 'tenant-id': TENANT });
    expect(o).toEqual({
      clientId: CLIENT,
      tenantId: TENANT,
      scope: DEFAULT_AZURE_SCOPE,
      authorityHost: 'https://login.microsoftonline.com',
      subscriptionId: undefined,
    });
    expect(azureTarget.audience(o)).toBe(DEFAULT_AZURE_AUDIENCE);
  });

  it.each([
    ['https://login.microsoftonline.us', 'api://AzureADTokenExchangeUSGov'],
    ['https://login.chinacloudapi.cn/', 'api://AzureADTokenExchangeChina'],
    ['https://login.microsoftonline.com', 'api://AzureADTokenExchange'],
  ])('picks the audience for authority %s', (host, audience) => {
    const o = parseOptions(azureTarget, { 'client-id': CLIENT, 'tenant-id': TENANT, 'authority-host': host });
    expect(o.authorityHost).toBe(host.replace(/\/$/, ''));
    expect(azureTarget.audience(o)).toBe(audience);
  });

  it('accepts a verified domain as tenant and a subscription id', () => {
    const o = parseOptions(azureTarget, {
      'client-id': CLIENT,
      'tenant-id': 'contoso.onmicrosoft.com',
      'subscription-id': SUB,
    });
    expect(o.tenantId).toBe('contoso.onmicrosoft.com');
    expect(o.subscriptionId).toBe(SUB);
  });

  it.each<[Record<string, string>, string[]]>([
    [{}, ['client-id:ERR_CONFIG_REQUIRED', 'tenant-id:ERR_CONFIG_REQUIRED']],
    [{ 'client-id': 'my-app', 'tenant-id': TENANT }, ['client-id:ERR_CONFIG_PATTERN']],
    [{ 'client-id': CLIENT, 'tenant-id': 'common' }, ['tenant-id:ERR_CONFIG_INVALID']],
    [{ 'client-id': CLIENT, 'tenant-id': 'not a tenant' }, ['tenant-id:ERR_CONFIG_PATTERN']],
    [
      { 'client-id': CLIENT, 'tenant-id': TENANT, scope: 'https://graph.microsoft.com/User.Read' },
      ['scope:ERR_CONFIG_PATTERN'],
    ],
    [
      { 'client-id': CLIENT, 'tenant-id': TENANT, 'authority-host': 'http://login.example.com' },
      ['authority-host:ERR_CONFIG_INSECURE_URL'],
    ],
    [
      { 'client-id': CLIENT, 'tenant-id': TENANT, 'authority-host': 'https://login.example.com/?x=1' },
      ['authority-host:ERR_CONFIG_URL'],
    ],
    [
      { 'client-id': CLIENT, 'tenant-id': TENANT, 'subscription-id': 'prod' },
      ['subscription-id:ERR_CONFIG_PATTERN'],
    ],
  ])('reports %j as %j', (raw, expected) => {
    expect(codes(raw)).toEqual(expected);
  });

  it('allows plain http only on loopback', () => {
    const o = parseOptions(azureTarget, {
      'client-id': CLIENT,
      'tenant-id': TENANT,
      'authority-host': 'http://127.0.0.1:8443',
    });
    expect(o.authorityHost).toBe('http://127.0.0.1:8443');
  });

  it('describes without secrets', () => {
    const o = parseOptions(azureTarget, { 'client-id': CLIENT, 'tenant-id': TENANT, 'subscription-id': SUB });
    expect(azureTarget.describe?.(o)).toContain(CLIENT);
  });
});

describe('buildAzureTokenRequest', () => {
  it.each([
    [
      'https://login.microsoftonline.com',
      TENANT,
      `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
    ],
    [
      'https://login.microsoftonline.us',
      'contoso.onmicrosoft.com',
      'https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token',
    ],
    ['https://127.0.0.1:9000/prefix', TENANT, `https://127.0.0.1:9000/prefix/${TENANT}/oauth2/v2.0/token`],
  ])('posts to %s for tenant %s', (authorityHost, tenantId, url) => {
    const req = buildAzureTokenRequest(
      { clientId: CLIENT, tenantId, scope: DEFAULT_AZURE_SCOPE, authorityHost, subscriptionId: undefined },
      'header.payload.sig',
    );
    expect(String(req.url)).toBe(url);
    expect(req.method).toBe('POST');
    expect(req.headers?.['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(String(req.body)))).toEqual({
      client_id: CLIENT,
      scope: DEFAULT_AZURE_SCOPE,
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'header.payload.sig',
    });
  });
});
