/**
 * response.ts: Entra's token answers. Success is RFC 6749 §5.1 JSON; failures are §5.2 JSON plus
 * `error_codes` (AADSTS numbers), `trace_id` and `correlation_id`. Entra asks clients to branch on
 * `error_codes`, never on text, so hints are keyed by AADSTS number.
 */
import { isoTimestamp } from '@federate/core';
import {
  type Credentials,
  type CredentialValue,
  ExchangeError,
  type HttpResponse,
  type Identity,
  jwtExpiry,
} from '@federate/core';
import { type OAuthFailure, oauthFailureError, parseTokenResponse } from '../shared/oauth.js';
import { optional } from '../shared/response.js';
import type { AzureOptions } from './options.js';
import { AZURE_WHAT } from './request.js';

/** AZURE_TOKEN_FILE is the relative name of the federated token file for SDK-driven refresh. */
export const AZURE_TOKEN_FILE = 'azure/federated-token';

function federatedRecord(identity: Identity, audience: string): string {
  return `issuer '${identity.issuer}', subject '${identity.subject}', audience '${audience}'`;
}

/**
 * azureHint says what usually fixes an AADSTS error. `audience` is what the platform token was
 * minted for, which is what the federated credential must list.
 */
export function azureHint(
  code: number | undefined,
  err: OAuthFailure | undefined,
  options: AzureOptions,
  identity: Identity,
  audience: string,
): string | undefined {
  switch (code) {
    case 70021:
      return `add a federated credential to app ${options.clientId} with exactly ${federatedRecord(identity, audience)}; a credential created in the last few minutes may still be propagating`;
    case 700211:
      return `the federated credential's issuer must equal the token's iss exactly ('${identity.issuer}', no trailing slash or whitespace)`;
    case 700212:
      return `the federated credential's audience must be '${audience}', the audience the platform token was requested for (set \`audience\` to change it)`;
    case 700213:
      return `the federated credential's subject must equal the token's sub exactly and case-sensitively: '${identity.subject}'`;
    case 700016:
      return `no application ${options.clientId} exists in tenant ${options.tenantId}: check client-id and tenant-id (the app may live in another tenant)`;
    case 90002:
      return `tenant ${options.tenantId} does not exist in this cloud: check tenant-id and authority-host`;
    case 50027:
    case 700024:
      return 'the platform token is expired or not yet valid for Entra: check the runner clock and do not reuse an old token';
    case 7000215:
    case 7000218:
      return 'Entra expected a client secret or certificate: the app has no federated credential this token matches, or client-id names the wrong app';
    case 700027:
      return "Entra could not verify the token's signature with the issuer's published keys; the issuer may have rotated keys";
    case 501661:
      return "Entra could not fetch the issuer's OIDC discovery document; the issuer must be reachable from the internet";
    case 70011:
    case 1002012:
      return 'scope must be one resource followed by /.default, e.g. https://management.azure.com/.default';
    case 500011:
      return "the resource in scope is not registered in the tenant: check the scope's resource URI";
  }
  if (err?.error === 'invalid_client')
    return `check the app's federated credentials against ${federatedRecord(identity, audience)}`;
  return undefined;
}

/** parseAzureError maps a failed Entra answer to an ExchangeError with the AADSTS code and a hint. */
export function parseAzureError(
  res: HttpResponse,
  options: AzureOptions,
  identity: Identity,
  audience: string,
): ExchangeError {
  let code: number | undefined;
  let traceId: string | undefined;
  let correlationId: string | undefined;
  const base = oauthFailureError(res, 'azure', AZURE_WHAT, (err) => {
    code = err?.errorCodes?.[0];
    return azureHint(code, err, options, identity, audience);
  });
  try {
    const body = JSON.parse(res.text) as Record<string, unknown>;
    traceId = typeof body['trace_id'] === 'string' ? body['trace_id'] : undefined;
    correlationId = typeof body['correlation_id'] === 'string' ? body['correlation_id'] : undefined;
  } catch {}
  const serverCode = code !== undefined ? `AADSTS${code}` : base.serverCode;
  const corr = correlationId ? ` (correlation id ${correlationId})` : '';
  return new ExchangeError(
    base.code,
    'azure',
    `${base.message} for app ${options.clientId} in tenant ${options.tenantId}${corr}`,
    {
      ...optional('status', base.status),
      ...optional('serverCode', serverCode),
      ...optional('requestId', base.requestId ?? traceId),
      ...optional('hint', base.hint),
    },
  );
}

/** parseAzureSuccess turns Entra's success body into Credentials; `assertion` goes in the token file. */
export function parseAzureSuccess(
  res: HttpResponse,
  options: AzureOptions,
  assertion: string,
  now: number,
): Credentials {
  const token = parseTokenResponse(res, 'azure', AZURE_WHAT, now);
  const values: CredentialValue[] = [
    { name: 'clientId', value: options.clientId, secret: false, env: 'AZURE_CLIENT_ID' },
    { name: 'tenantId', value: options.tenantId, secret: false, env: 'AZURE_TENANT_ID' },
    { name: 'authorityHost', value: options.authorityHost, secret: false, env: 'AZURE_AUTHORITY_HOST' },
    { name: 'accessToken', value: token.accessToken, secret: true, output: 'azure-access-token' },
  ];
  if (token.expiresAt)
    values.push({
      name: 'accessTokenExpiration',
      value: isoTimestamp(token.expiresAt),
      secret: false,
      output: 'azure-access-token-expiration',
    });
  if (options.subscriptionId)
    values.push({
      name: 'subscriptionId',
      value: options.subscriptionId,
      secret: false,
      env: 'AZURE_SUBSCRIPTION_ID',
    });
  const exp = jwtExpiry(assertion);
  return {
    target: 'azure',
    principal: `${options.clientId}@${options.tenantId}`,
    expiresAt: token.expiresAt,
    values,
    files: [
      {
        // No trailing newline: SDKs other than @azure/identity send file content byte for byte.
        name: AZURE_TOKEN_FILE,
        content: assertion,
        secret: true,
        mode: 0o600,
        env: ['AZURE_FEDERATED_TOKEN_FILE'],
        output: 'azure-federated-token-file',
      },
    ],
    revoke: [],
    notes: [
      `AZURE_FEDERATED_TOKEN_FILE holds the platform token${exp ? `, valid until ${isoTimestamp(exp)}` : ''}; Azure SDKs exchange it themselves but it is not refreshed`,
    ],
  };
}
